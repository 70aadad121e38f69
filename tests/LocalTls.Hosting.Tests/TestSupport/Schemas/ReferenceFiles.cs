using LocalTls.KubeApiDouble.Schemas;

namespace LocalTls.Tests.TestSupport.Schemas;

/// <summary>
/// Finds the read-only reference data (Kubernetes OpenAPI documents, cert-manager CRDs, chart values) that the
/// schema tests validate against. It lives outside the repository, in a sibling folder <c>shared/reference</c>,
/// or wherever <see cref="EnvironmentVariable"/> points.
/// </summary>
/// <remarks>
/// A test that needs the files calls <see cref="Require"/>. Without them the test is reported as skipped, with the
/// reason, on a developer machine, and fails when <c>CI=true</c>: a green CI run must never mean "nothing was checked".
/// </remarks>
public static class ReferenceFiles
{
    public const string EnvironmentVariable = ReferenceLocation.EnvironmentVariable;

    /// <summary>A file every complete reference directory has; used to tell a real one from a stray folder.</summary>
    internal static readonly string MarkerFile = ReferenceLocation.MarkerFile;

    private static readonly Lazy<ReferenceLocation.Location> Located = new(
        ReferenceLocation.FromEnvironment,
        LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The reference directory, or null when it was not found (see <see cref="MissingReason"/>).</summary>
    public static string? Directory => Located.Value.Directory;

    /// <summary>Why the reference directory was not found; null when it was.</summary>
    public static string? MissingReason => Located.Value.MissingReason;

    /// <summary>True when the CI environment variable says this is a CI run (<c>CI=true</c>).</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The reference directory. When it is missing this does not return: it skips the calling test
    /// (<see cref="Assert.Skip(string)"/>), or fails it under CI.
    /// </summary>
    public static string Require()
    {
        var location = Located.Value;
        if (location.Directory is not null)
        {
            return location.Directory;
        }

        Unavailable(location.MissingReason!, IsCi);
        throw new InvalidOperationException("unreachable: Unavailable always throws");
    }

    /// <summary>A path under the reference directory (skips or fails like <see cref="Require"/>).</summary>
    public static string PathTo(params string[] parts) => Path.Combine([Require(), .. parts]);

    /// <summary>Throws the skip (developer machine) or the failure (CI) for missing reference files.</summary>
    internal static void Unavailable(string reason, bool isCi)
    {
        var message = $"Reference schemas not found: {reason}. Set {EnvironmentVariable} to the shared/reference directory " +
            "(the one holding kubernetes/openapi-v3 and cert-manager/crds).";
        if (isCi)
        {
            Assert.Fail(message + " CI=true, so this is a failure, not a skip.");
        }

        Assert.Skip(message);
    }

    /// <summary>The lookup itself lives with the double (<see cref="ReferenceLocation.Locate"/>), which needs it too.</summary>
    internal static ReferenceLocation.Location Locate(string? environmentValue, string startDirectory) =>
        ReferenceLocation.Locate(environmentValue, startDirectory);
}
