using System.Text.Json.Nodes;

namespace LocalTls.KubeApiDouble;

/// <summary>
/// <c>/openapi/v3</c>: the reference Kubernetes 1.35 documents for built-in groups, and for custom resources a document
/// made from the stored CRD (its schema, and the paths kubectl reads to learn that the server validates fields).
/// </summary>
internal static class OpenApi
{
    public static JsonObject Index(IEnumerable<ResourceType> types)
    {
        var paths = new JsonObject();
        foreach (var (group, version) in types.Select(t => (t.Group, t.Version)).Distinct())
        {
            var path = group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";
            paths[path] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{path}?hash=0" };
        }

        return new JsonObject { ["paths"] = paths };
    }

    /// <summary>The document as JSON text (the reference files are served as they are, read once).</summary>
    public static string Document(string referenceDirectory, KubeApi api, string path)
    {
        var file = Path.Combine(referenceDirectory, "kubernetes", "openapi-v3", path.Replace("/", "__", StringComparison.Ordinal) + "_openapi.json");
        if (File.Exists(file))
        {
            return Cache.GetOrAdd(file, File.ReadAllText);
        }

        var parts = path.Split('/');
        var (group, version) = parts is ["apis", var g, var v] ? (g, v) : ("", "");
        var types = api.Types().Where(t => t.Group == group && t.Version == version && group.Length > 0).ToList();
        if (types.Count == 0)
        {
            throw new ApiError(404, "NotFound", "the server could not find the requested resource");
        }

        var crds = api.Store.List(ResourceType.BuiltIn.Single(t => t.Kind == "CustomResourceDefinition"), null);
        var schemas = new JsonObject();
        var documentPaths = new JsonObject();
        foreach (var type in types)
        {
            var gvk = new JsonArray(new JsonObject { ["group"] = type.Group, ["version"] = type.Version, ["kind"] = type.Kind });
            var crd = crds.FirstOrDefault(c => (string?)c["spec"]?["group"] == type.Group && (string?)c["spec"]?["names"]?["plural"] == type.Plural);
            var schema = (crd?["spec"]?["versions"] as JsonArray)?.FirstOrDefault(v => (string?)v?["name"] == type.Version)?["schema"]?["openAPIV3Schema"]?.DeepClone() as JsonObject
                ?? new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
            schema["x-kubernetes-group-version-kind"] = gvk.DeepClone();
            var schemaName = string.Join('.', type.Group.Split('.').Reverse()) + $".{type.Version}.{type.Kind}";
            schemas[schemaName] = schema;

            var parameters = new JsonArray(
                Query("dryRun"), Query("fieldManager"), Query("fieldValidation"), Query("force"));
            var operation = new JsonObject
            {
                ["operationId"] = $"patch{type.Kind}",
                ["parameters"] = parameters,
                ["x-kubernetes-action"] = "patch",
                ["x-kubernetes-group-version-kind"] = gvk[0]!.DeepClone(),
            };
            var prefix = $"/apis/{type.Group}/{type.Version}/" + (type.Namespaced ? "namespaces/{namespace}/" : "");
            documentPaths[prefix + type.Plural + "/{name}"] = new JsonObject { ["patch"] = operation };
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes CRD Swagger", ["version"] = "v0.1.0" },
            ["paths"] = documentPaths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        }.ToJsonString();
    }

    private static JsonObject Query(string name) =>
        new() { ["in"] = "query", ["name"] = name, ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true } };

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Cache = new(StringComparer.Ordinal);
}
