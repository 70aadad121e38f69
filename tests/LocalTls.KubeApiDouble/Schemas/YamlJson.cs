using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LocalTls.KubeApiDouble.Schemas;

/// <summary>
/// YAML to <see cref="JsonNode"/> the way kubectl reads a manifest (sigs.k8s.io/yaml over go-yaml v2, i.e. YAML 1.1
/// scalar resolution): a plain <c>2</c> is a number, a quoted <c>"2"</c> a string, a plain <c>yes</c>/<c>on</c> a
/// boolean, a plain <c>~</c> or empty value null. Mapping keys are always strings.
/// </summary>
/// <remarks>Left out: merge keys (<c>&lt;&lt;</c>) and YAML timestamps (kept as the string that was written).</remarks>
public static partial class YamlJson
{
    private const string CoreTagPrefix = "tag:yaml.org,2002:";

    /// <summary>Every document of a (multi-document) YAML stream; empty documents come back as null.</summary>
    public static IReadOnlyList<JsonNode?> ParseAll(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new FormatException($"Not valid YAML at {e.Start}: {e.Message}", e);
        }

        return stream.Documents.Select(d => d.RootNode is null ? null : Convert(d.RootNode)).ToList();
    }

    /// <summary>A YAML stream that must hold exactly one document.</summary>
    public static JsonNode? Parse(string yaml)
    {
        var documents = ParseAll(yaml);
        return documents.Count == 1
            ? documents[0]
            : throw new FormatException($"Expected one YAML document, found {documents.Count}.");
    }

    /// <summary>Loads a YAML file that holds one document.</summary>
    public static JsonNode? ParseFile(string path) => Parse(File.ReadAllText(path));

    private static JsonNode? Convert(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                var obj = new JsonObject();
                foreach (var (key, value) in mapping.Children)
                {
                    if (key is not YamlScalarNode scalarKey)
                    {
                        throw new FormatException($"Only scalar mapping keys can become JSON, at {key.Start}.");
                    }

                    var name = scalarKey.Value ?? "";
                    if (name == "<<" && scalarKey.Style == YamlDotNet.Core.ScalarStyle.Plain)
                    {
                        throw new FormatException($"YAML merge keys are not supported, at {key.Start}.");
                    }

                    if (!obj.TryAdd(name, Convert(value)))
                    {
                        throw new FormatException($"Duplicate mapping key '{name}' at {key.Start}.");
                    }
                }

                return obj;
            case YamlSequenceNode sequence:
                var array = new JsonArray();
                foreach (var item in sequence.Children)
                {
                    array.Add(Convert(item));
                }

                return array;
            case YamlScalarNode scalar:
                return ConvertScalar(scalar);
            default:
                throw new FormatException($"Unsupported YAML node {node.NodeType} at {node.Start}.");
        }
    }

    private static JsonNode? ConvertScalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        var tag = scalar.Tag.IsEmpty ? null : scalar.Tag.Value;
        if (tag is not null && tag != "!")
        {
            return tag switch
            {
                CoreTagPrefix + "str" => JsonValue.Create(value),
                CoreTagPrefix + "null" => null,
                CoreTagPrefix + "bool" => ResolvePlain(value) is JsonValue b && b.TryGetValue<bool>(out _) ? b : throw Bad(scalar, "!!bool"),
                CoreTagPrefix + "int" => ResolvePlain(value) is JsonValue i && (i.TryGetValue<long>(out _) || i.TryGetValue<ulong>(out _)) ? i : throw Bad(scalar, "!!int"),
                CoreTagPrefix + "float" => ResolvePlain(value) is JsonValue f && !f.TryGetValue<string>(out _) && !f.TryGetValue<bool>(out _) ? f : throw Bad(scalar, "!!float"),
                _ => JsonValue.Create(value),
            };
        }

        return scalar.Style == ScalarStyle.Plain && tag is null ? ResolvePlain(value) : JsonValue.Create(value);
    }

    private static FormatException Bad(YamlScalarNode scalar, string tag) => new($"'{scalar.Value}' is not a valid {tag} at {scalar.Start}.");

    /// <summary>go-yaml v2's resolution of an untagged plain scalar.</summary>
    internal static JsonNode? ResolvePlain(string value)
    {
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "y" or "Y" or "yes" or "Yes" or "YES" or "true" or "True" or "TRUE" or "on" or "On" or "ON":
                return JsonValue.Create(true);
            case "n" or "N" or "no" or "No" or "NO" or "false" or "False" or "FALSE" or "off" or "Off" or "OFF":
                return JsonValue.Create(false);
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF" or ".nan" or ".NaN" or ".NAN":
                throw new FormatException($"'{value}' is an infinite or NaN float, which JSON cannot hold.");
        }

        if (IntPattern().IsMatch(value))
        {
            var digits = value.Replace("_", "", StringComparison.Ordinal);
            var negative = digits.StartsWith('-');
            var unsigned = digits.TrimStart('-', '+');
            var (radix, body) = unsigned switch
            {
                _ when unsigned.StartsWith("0x", StringComparison.Ordinal) => (16, unsigned[2..]),
                _ when unsigned.StartsWith("0b", StringComparison.Ordinal) => (2, unsigned[2..]),
                _ when unsigned.Length > 1 && unsigned[0] == '0' => (8, unsigned[1..]),
                _ => (10, unsigned),
            };
            if (TryParseRadix(body, radix, out var magnitude))
            {
                if (!negative)
                {
                    return magnitude <= long.MaxValue ? JsonValue.Create((long)magnitude) : JsonValue.Create(magnitude);
                }

                if (magnitude <= (ulong)long.MaxValue + 1)
                {
                    return JsonValue.Create(magnitude == (ulong)long.MaxValue + 1 ? long.MinValue : -(long)magnitude);
                }
            }
        }

        if (FloatPattern().IsMatch(value)
            && double.TryParse(value.Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return JsonValue.Create(number);
        }

        return JsonValue.Create(value);
    }

    private static bool TryParseRadix(string body, int radix, out ulong result)
    {
        result = 0;
        if (body.Length == 0)
        {
            return false;
        }

        foreach (var c in body)
        {
            var digit = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'f' => c - 'a' + 10,
                >= 'A' and <= 'F' => c - 'A' + 10,
                _ => 99,
            };
            if (digit >= radix)
            {
                return false;
            }

            try
            {
                result = checked((result * (ulong)radix) + (ulong)digit);
            }
            catch (OverflowException)
            {
                return false;
            }
        }

        return true;
    }

    [GeneratedRegex(@"^[-+]?(0b[01_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)\z")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?\z")]
    private static partial Regex FloatPattern();
}
