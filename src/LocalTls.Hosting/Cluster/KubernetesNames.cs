using System.Text.RegularExpressions;

namespace LocalTls.Cluster;

/// <summary>
/// The name rules the Kubernetes API server enforces, checked where the user writes a name: the builder extensions,
/// which <c>localtls manifests</c> builds its model through too.
/// </summary>
internal static partial class KubernetesNames
{
    /// <summary>A DNS-1123 label (namespaces, Services): lower-case letters, digits and '-', at most 63.</summary>
    public static string RequireLabel(string? value, string what, string? paramName)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 63 || !Label().IsMatch(value))
        {
            throw new ArgumentException(
                $"'{value}' is not a valid {what}: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit, e.g. '{Suggest(value, 63)}'.",
                paramName);
        }

        return value;
    }

    /// <summary>A DNS-1123 subdomain (most object names, Secrets): labels joined by '.', at most 253.</summary>
    public static string RequireSubdomain(string? value, string what, string? paramName)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 253 || !Subdomain().IsMatch(value))
        {
            throw new ArgumentException(
                $"'{value}' is not a valid {what}: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, e.g. '{Suggest(value, 253)}'.",
                paramName);
        }

        return value;
    }

    /// <summary>A label value: at most 63 of letters, digits, '-', '_' and '.', starting and ending with a letter or digit.</summary>
    public static string RequireLabelValue(string? value, string what, string? paramName)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 63 || !LabelValue().IsMatch(value))
        {
            throw new ArgumentException(
                $"'{value}' is not a valid {what}: use at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit, e.g. '{LabelValueFrom(value)}'.",
                paramName);
        }

        return value;
    }

    /// <summary>A label value made from any text (e.g. an application name such as <c>Shop.AppHost</c> → <c>shop.apphost</c>).</summary>
    public static string LabelValueFrom(string? text) => Suggest(text, 63);

    /// <summary>A resource quantity such as <c>1Gi</c> or <c>500Mi</c>.</summary>
    public static string RequireQuantity(string? value, string? paramName)
    {
        if (string.IsNullOrEmpty(value) || !Quantity().IsMatch(value))
        {
            throw new ArgumentException($"'{value}' is not a Kubernetes quantity: write a number with a unit, e.g. '1Gi', '512Mi' or '10G'.", paramName);
        }

        return value;
    }

    internal static string Suggest(string? value, int max)
    {
        var lowered = Regex.Replace((value ?? "").ToLowerInvariant(), "[^a-z0-9.-]+", "-").Trim('-', '.');
        lowered = Regex.Replace(lowered, "[-.]{2,}", "-");
        if (lowered.Length > max)
        {
            lowered = lowered[..max].TrimEnd('-', '.');
        }

        return lowered.Length == 0 ? "my-name" : lowered;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")]
    private static partial Regex LabelValue();

    [GeneratedRegex(@"^([0-9]+(\.[0-9]+)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][-+]?[0-9]+)?$")]
    private static partial Regex Quantity();
}
