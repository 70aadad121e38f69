using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LocalTls.KubeApiDouble.Schemas;

/// <summary>
/// The name rules the API server enforces in Go code, which no OpenAPI schema states: object names, label keys and
/// values, annotation keys (k8s.io/apimachinery/pkg/util/validation).
/// </summary>
public static partial class ObjectNames
{
    public const int SubdomainMaxLength = 253;
    public const int LabelMaxLength = 63;

    /// <summary>Lowercase alphanumerics, '-' and '.', starting and ending alphanumeric, at most 253 characters.</summary>
    public static bool IsDns1123Subdomain(string value) => value.Length <= SubdomainMaxLength && Dns1123Subdomain().IsMatch(value);

    /// <summary>Lowercase alphanumerics and '-', starting and ending alphanumeric, at most 63 characters.</summary>
    public static bool IsDns1123Label(string value) => value.Length <= LabelMaxLength && Dns1123Label().IsMatch(value);

    /// <summary>A DNS-1123 label that starts with a letter (Service names).</summary>
    public static bool IsDns1035Label(string value) => value.Length <= LabelMaxLength && Dns1035Label().IsMatch(value);

    /// <summary>
    /// The errors in an object's <c>metadata</c>: name (or generateName) present and well formed for the kind,
    /// namespace a DNS-1123 label, label keys and values, annotation keys and total size.
    /// </summary>
    public static IEnumerable<(string Pointer, string Message)> CheckMetadata(string kind, JsonNode? metadata)
    {
        if (metadata is not JsonObject meta)
        {
            yield return ("/metadata", "metadata is required (with at least a name)");
            yield break;
        }

        var name = meta["name"] is JsonValue n && n.TryGetValue<string>(out var s) ? s : null;
        if (name is null)
        {
            if (meta["generateName"] is null)
            {
                yield return ("/metadata/name", "name or generateName is required");
            }
        }
        else
        {
            var (ok, rule) = kind switch
            {
                // ValidateNamespaceName and ValidateServiceName are stricter than the default subdomain rule.
                "Namespace" => (IsDns1123Label(name), "a DNS-1123 label (lowercase alphanumerics and '-', at most 63 characters, starting and ending alphanumeric)"),
                "Service" => (IsDns1035Label(name), "a DNS-1035 label (lowercase alphanumerics and '-', at most 63 characters, starting with a letter and ending alphanumeric)"),
                _ => (IsDns1123Subdomain(name), "a DNS-1123 subdomain (lowercase alphanumerics, '-' and '.', at most 253 characters, starting and ending alphanumeric)"),
            };
            if (!ok)
            {
                yield return ("/metadata/name", $"'{name}' is not {rule}, as a {kind} name must be");
            }
        }

        if (meta["namespace"] is JsonValue ns && ns.TryGetValue<string>(out var nsName) && !IsDns1123Label(nsName))
        {
            yield return ("/metadata/namespace", $"'{nsName}' is not a DNS-1123 label");
        }

        if (meta["labels"] is JsonObject labels)
        {
            foreach (var (key, value) in labels)
            {
                foreach (var problem in QualifiedNameProblems(key))
                {
                    yield return ($"/metadata/labels/{Escape(key)}", $"label key '{key}': {problem}");
                }

                var text = value is JsonValue v && v.TryGetValue<string>(out var str) ? str : null;
                if (text is not null && !(text.Length == 0 || (text.Length <= LabelMaxLength && QualifiedNamePart().IsMatch(text))))
                {
                    yield return ($"/metadata/labels/{Escape(key)}", $"label value '{text}' must be empty or at most 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric");
                }
            }
        }

        if (meta["annotations"] is JsonObject annotations)
        {
            long total = 0;
            foreach (var (key, value) in annotations)
            {
                total += System.Text.Encoding.UTF8.GetByteCount(key) + (value is JsonValue v && v.TryGetValue<string>(out var str) ? System.Text.Encoding.UTF8.GetByteCount(str) : 0);
                foreach (var problem in QualifiedNameProblems(key.ToLowerInvariant()))
                {
                    yield return ($"/metadata/annotations/{Escape(key)}", $"annotation key '{key}': {problem}");
                }
            }

            if (total > 256 * 1024)
            {
                yield return ("/metadata/annotations", $"annotations total {total} bytes, over the 256 KiB limit");
            }
        }
    }

    /// <summary>Problems with a qualified name (<c>[prefix/]name</c>), as label and annotation keys must be.</summary>
    public static IEnumerable<string> QualifiedNameProblems(string key)
    {
        var parts = key.Split('/');
        if (parts.Length > 2)
        {
            yield return "at most one '/' is allowed";
            yield break;
        }

        var name = parts[^1];
        if (parts.Length == 2 && (parts[0].Length == 0 || !IsDns1123Subdomain(parts[0])))
        {
            yield return $"prefix '{parts[0]}' must be a DNS-1123 subdomain";
        }

        if (name.Length == 0 || name.Length > LabelMaxLength || !QualifiedNamePart().IsMatch(name))
        {
            yield return $"name '{name}' must be 1 to 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric";
        }
    }

    private static string Escape(string key) => key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\z")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\z")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex(@"^[a-z]([-a-z0-9]*[a-z0-9])?\z")]
    private static partial Regex Dns1035Label();

    [GeneratedRegex(@"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?\z")]
    private static partial Regex QualifiedNamePart();
}
