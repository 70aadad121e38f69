using System.Text.RegularExpressions;

namespace LocalTls.StepCa;

/// <summary>Checks for step-ca settings, used by the builder extensions (and so by <c>localtls manifests</c>).</summary>
internal static partial class StepCaRules
{
    /// <summary>An ACME provisioner name: part of the URL <c>/acme/{name}/directory</c>.</summary>
    /// <exception cref="ArgumentException">The name has characters a URL path segment cannot carry as is.</exception>
    public static string RequireProvisionerName(string? name, string? paramName) =>
        IsProvisionerName(name)
            ? name
            : throw new ArgumentException($"'{name}' cannot be an ACME provisioner name: it becomes part of the URL /acme/{{name}}/directory, so start with a letter or digit and use letters, digits, '-', '_' and '.', e.g. \"acme\".", paramName);

    /// <summary>The one rule for provisioner names, used by the builder, the CLI and <see cref="StepCaOptionsValidator"/>.</summary>
    public static bool IsProvisionerName([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? name) => !string.IsNullOrEmpty(name) && ProvisionerName().IsMatch(name);

    /// <summary>The port step-ca and its Service listen on.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The port is not between 1 and 65535.</exception>
    public static int RequirePort(int port, string? paramName) =>
        port is >= 1 and <= 65535
            ? port
            : throw new ArgumentOutOfRangeException(paramName, $"The Service port must be between 1 and 65535, e.g. 9000; got {port}.");

    /// <summary>A container image name without tag or digest.</summary>
    /// <exception cref="ArgumentException">The name is empty, has whitespace or a digest.</exception>
    public static string RequireImage(string? image, string? paramName) =>
        !string.IsNullOrWhiteSpace(image) && !image.Any(char.IsWhiteSpace) && !image.Contains('@')
            ? image
            : throw new ArgumentException($"'{image}' is not an image name: write it without tag or digest, e.g. \"smallstep/step-ca\".", paramName);

    /// <summary>A container image tag.</summary>
    /// <exception cref="ArgumentException">The tag has characters a tag cannot have, or is too long.</exception>
    public static string RequireImageTag(string? tag, string? paramName) =>
        !string.IsNullOrWhiteSpace(tag) && ImageTag().IsMatch(tag)
            ? tag
            : throw new ArgumentException($"'{tag}' is not an image tag: use letters, digits, '_', '.' and '-' (at most 128), e.g. \"0.30.0\".", paramName);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    private static partial Regex ProvisionerName();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex ImageTag();
}
