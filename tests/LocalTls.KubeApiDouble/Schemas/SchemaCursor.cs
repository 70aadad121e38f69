using System.Text.Json.Nodes;

namespace LocalTls.KubeApiDouble.Schemas;

/// <summary>
/// A position in a kind's schema, followed field by field, to learn how server-side apply and strategic merge treat
/// a field: an associative list (<c>x-kubernetes-list-type: map</c> with its keys), an atomic list or map, or a
/// granular map. <c>$ref</c>, single-branch <c>allOf</c> wrappers and nullable <c>anyOf</c> wrappers are looked through.
/// </summary>
internal sealed class SchemaCursor
{
    private readonly KubernetesSchemas schemas;
    private readonly string documentUri;
    private readonly List<JsonObject> layers;

    private SchemaCursor(KubernetesSchemas schemas, string documentUri, List<JsonObject> layers)
    {
        this.schemas = schemas;
        this.documentUri = documentUri;
        this.layers = layers;
    }

    public static SchemaCursor? At(KubernetesSchemas schemas, string documentUri, string pointer) =>
        schemas.Node(documentUri, pointer) is JsonObject node ? Resolve(schemas, documentUri, node) : null;

    /// <summary>The keys of an associative list, or null when the list is atomic (or a set, treated as atomic).</summary>
    public IReadOnlyList<string>? ListMapKeys =>
        Attribute("x-kubernetes-list-type") == "map" && Layer("x-kubernetes-list-map-keys") is JsonArray keys
            ? keys.Select(k => (string)k!).ToList()
            : null;

    /// <summary>The strategic-merge-patch key of a list (built-in kinds only).</summary>
    public string? PatchMergeKey => Attribute("x-kubernetes-patch-merge-key");

    public bool IsAtomicMap => Attribute("x-kubernetes-map-type") == "atomic";

    /// <summary>
    /// A Go struct of a built-in kind (an object schema with <c>properties</c>, in the Kubernetes documents rather than a
    /// CRD). The server serializes those even when empty, so an update never "adds" one as a member of its own.
    /// </summary>
    public bool IsBuiltInStruct => documentUri.Contains("/kubernetes/", StringComparison.Ordinal) && layers.Any(l => l["properties"] is JsonObject);

    public SchemaCursor? Property(string name)
    {
        foreach (var layer in layers)
        {
            if (layer["properties"]?[name] is JsonObject property)
            {
                return Resolve(schemas, documentUri, property);
            }
        }

        return Layer("additionalProperties") is JsonObject values ? Resolve(schemas, documentUri, values) : null;
    }

    public SchemaCursor? Items => Layer("items") is JsonObject items ? Resolve(schemas, documentUri, items) : null;

    private JsonNode? Layer(string name) => layers.Select(l => l[name]).FirstOrDefault(n => n is not null);

    private string? Attribute(string name) => Layer(name) is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static SchemaCursor? Resolve(KubernetesSchemas schemas, string documentUri, JsonObject node)
    {
        var layers = new List<JsonObject>();
        var uri = documentUri;
        for (var current = node; current is not null && layers.Count < 16;)
        {
            layers.Add(current);
            if (current["$ref"] is JsonValue r && r.TryGetValue<string>(out var reference))
            {
                var hash = reference.IndexOf('#', StringComparison.Ordinal);
                if (hash > 0)
                {
                    uri = reference[..hash];
                }

                current = schemas.Node(uri, reference[(hash + 1)..]) as JsonObject;
            }
            else if ((current["allOf"] ?? current["anyOf"]) is JsonArray branches
                && branches.OfType<JsonObject>().Where(b => !IsNullType(b)).ToList() is [var only])
            {
                current = only;
            }
            else
            {
                break;
            }
        }

        return layers.Count == 0 ? null : new SchemaCursor(schemas, uri, layers);
    }

    private static bool IsNullType(JsonObject branch) => branch["type"] is JsonValue t && t.TryGetValue<string>(out var type) && type == "null";
}
