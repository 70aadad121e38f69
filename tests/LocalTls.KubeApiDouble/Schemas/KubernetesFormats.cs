using System.Text.Json;
using System.Text.RegularExpressions;
using Json.Schema;

namespace LocalTls.KubeApiDouble.Schemas;

/// <summary>
/// The <c>format</c> values of the Kubernetes documents and CRDs, checked the way the API server's decoding checks
/// them: <c>int32</c>/<c>int64</c> must be whole numbers in range (Go refuses <c>3.0</c> or an overflow for an int field),
/// <c>byte</c> must be base64 (Go decodes <c>[]byte</c> from base64). <c>date-time</c> keeps JsonSchema.Net's RFC 3339
/// check. Any other format found in the documents is accepted as is.
/// </summary>
internal static partial class KubernetesFormats
{
    public static FormatRegistry Create(IEnumerable<string> formatsInDocuments)
    {
        var registry = new FormatRegistry();
        registry.Register(new PredicateFormat("int32", (JsonElement e, out string? error) => WholeNumber(e, int.MinValue, int.MaxValue, out error)));
        registry.Register(new PredicateFormat("int64", (JsonElement e, out string? error) => WholeNumber(e, long.MinValue, long.MaxValue, out error)));
        registry.Register(new PredicateFormat("byte", Base64));
        registry.Register(new PredicateFormat("int-or-string", _ => true));
        registry.Register(new PredicateFormat("double", _ => true));
        registry.Register(new PredicateFormat("float", _ => true));
        foreach (var format in formatsInDocuments.Distinct(StringComparer.Ordinal))
        {
            if (registry.Get(format) is UnknownFormat)
            {
                registry.Register(new PredicateFormat(format, _ => true));
            }
        }

        return registry;
    }

    private static bool WholeNumber(JsonElement e, long min, long max, out string? error)
    {
        error = null;
        if (e.ValueKind != JsonValueKind.Number)
        {
            return true; // 'type' reports it
        }

        var raw = e.GetRawText();
        if (e.TryGetDecimal(out var exact) && exact != decimal.Truncate(exact))
        {
            return true; // a fraction: 'type: integer' reports it
        }

        if (!WholeNumberText().IsMatch(raw))
        {
            error = $"{raw} is not a whole number written without a fraction or exponent (the API server's decoder refuses it for an integer field)";
            return false;
        }

        if (!e.TryGetInt64(out var value) || value < min || value > max)
        {
            error = $"{raw} is out of range {min}..{max}";
            return false;
        }

        return true;
    }

    private static bool Base64(JsonElement e, out string? error)
    {
        error = null;
        if (e.ValueKind != JsonValueKind.String)
        {
            return true;
        }

        var text = e.GetString()!;
        var buffer = new byte[(text.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(text, buffer, out _))
        {
            error = "not base64 (the API server decodes this field from standard, padded base64)";
            return false;
        }

        return true;
    }

    [GeneratedRegex(@"^-?[0-9]+\z")]
    private static partial Regex WholeNumberText();
}
