namespace LocalTls.KubeApiDouble.Schemas;

/// <summary>
/// Finds the read-only reference data (Kubernetes OpenAPI documents, cert-manager CRDs, chart values) the double
/// validates against. It lives outside the repository, in a sibling folder <c>shared/reference</c>, or wherever
/// <see cref="EnvironmentVariable"/> points.
/// </summary>
public static class ReferenceLocation
{
    public const string EnvironmentVariable = "LOCALTLS_REFERENCE_DIR";

    /// <summary>A file every complete reference directory has; used to tell a real one from a stray folder.</summary>
    public static readonly string MarkerFile = Path.Combine("kubernetes", "openapi-v3", "api__v1_openapi.json");

    /// <summary>Where the reference directory is, or why it was not found.</summary>
    public sealed record Location(string? Directory, string? MissingReason);

    /// <summary>
    /// The lookup, without side effects: the environment variable wins if set (and must then be right); otherwise
    /// each ancestor of <paramref name="startDirectory"/> is asked for a sibling <c>shared/reference</c>, up to and
    /// including the repository root (the first ancestor holding LocalTls.sln or .git).
    /// </summary>
    public static Location Locate(string? environmentValue, string startDirectory)
    {
        if (!string.IsNullOrWhiteSpace(environmentValue))
        {
            var full = Path.GetFullPath(environmentValue);
            return IsReferenceDirectory(full)
                ? new Location(full, null)
                : new Location(null, $"{EnvironmentVariable}={environmentValue} has no {MarkerFile}");
        }

        for (var dir = new DirectoryInfo(Path.GetFullPath(startDirectory)); dir is not null; dir = dir.Parent)
        {
            if (dir.Parent is not null)
            {
                var candidate = Path.Combine(dir.Parent.FullName, "shared", "reference");
                if (IsReferenceDirectory(candidate))
                {
                    return new Location(candidate, null);
                }
            }

            if (File.Exists(Path.Combine(dir.FullName, "LocalTls.sln")) || Path.Exists(Path.Combine(dir.FullName, ".git")))
            {
                return new Location(null, $"{EnvironmentVariable} is not set and there is no shared/reference beside the repository {dir.FullName}");
            }
        }

        return new Location(null, $"{EnvironmentVariable} is not set and no ancestor of {startDirectory} has a sibling shared/reference");
    }

    /// <summary><see cref="Locate"/> with the environment variable and this program's own directory.</summary>
    public static Location FromEnvironment() =>
        Locate(Environment.GetEnvironmentVariable(EnvironmentVariable), AppContext.BaseDirectory);

    private static bool IsReferenceDirectory(string path) => File.Exists(Path.Combine(path, MarkerFile));
}
