using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace LocalTls.Cluster;

/// <summary>
/// Writes Kubernetes objects as YAML in their exact wire form (KubernetesJson), deterministically: the same
/// objects give the same bytes, so published manifests diff cleanly and golden files stay stable.
/// </summary>
internal static partial class ManifestYaml
{
    /// <summary>One YAML document per object, separated by <c>---</c>, in the order given.</summary>
    public static string Write(IEnumerable<IKubernetesObject> objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        return Emit(emitter =>
        {
            foreach (var obj in objects)
            {
                emitter.Emit(new DocumentStart(null, null, isImplicit: false));
                Emit(emitter, JsonNode.Parse(KubernetesJson.Serialize(obj)));
                emitter.Emit(new DocumentEnd(isImplicit: true));
            }
        });
    }

    /// <summary>One YAML document for a values tree (e.g. Helm chart values).</summary>
    public static string WriteValues(JsonNode values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return Emit(emitter =>
        {
            emitter.Emit(new DocumentStart(null, null, isImplicit: true));
            Emit(emitter, values);
            emitter.Emit(new DocumentEnd(isImplicit: true));
        });
    }

    private static string Emit(Action<IEmitter> documents)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(text, new EmitterSettings().WithBestIndent(2).WithBestWidth(int.MaxValue).WithIndentedSequences());
        emitter.Emit(new StreamStart());
        documents(emitter);
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    /// <summary>The object as JSON in its wire form.</summary>
    public static JsonObject ToJson(IKubernetesObject obj) => JsonNode.Parse(KubernetesJson.Serialize(obj))!.AsObject();

    private static void Emit(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case null:
                emitter.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, true, false));
                break;
            case JsonObject obj:
                emitter.Emit(new MappingStart(null, null, isImplicit: true, MappingStyle.Block));
                foreach (var (key, value) in obj)
                {
                    EmitString(emitter, key);
                    Emit(emitter, value);
                }

                emitter.Emit(new MappingEnd());
                break;
            case JsonArray array:
                emitter.Emit(new SequenceStart(null, null, isImplicit: true, array.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in array)
                {
                    Emit(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            case JsonValue value when value.TryGetValue<string>(out var s):
                EmitString(emitter, s);
                break;
            default:
                // Numbers and booleans: their JSON text is also their YAML text.
                emitter.Emit(new Scalar(null, null, node.ToJsonString(), ScalarStyle.Plain, true, false));
                break;
        }
    }

    private static void EmitString(IEmitter emitter, string s)
    {
        var style = s.Contains('\n') ? ScalarStyle.Literal
            : NeedsQuotes(s) ? ScalarStyle.DoubleQuoted
            : ScalarStyle.Plain;
        emitter.Emit(new Scalar(null, null, s, style, true, true));
    }

    // A plain scalar that YAML 1.1 or 1.2 would read as something other than this string must be quoted.
    private static bool NeedsQuotes(string s) =>
        s.Length == 0 || s != s.Trim() || Ambiguous().IsMatch(s)
        || "-?:,[]{}#&*!|>'\"%@`".Contains(s[0])
        || s.Contains(": ", StringComparison.Ordinal) || s.Contains(" #", StringComparison.Ordinal) || s.EndsWith(':')
        || s.Any(c => char.IsControl(c));

    [GeneratedRegex(@"^(?:[-+]?(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?|0x[0-9a-fA-F]+|0o?[0-7]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~|\d+:\d+(?::\d+)*)$")]
    private static partial Regex Ambiguous();
}
