using System.Text.Json;
using System.Text.Json.Nodes;
using LocalTls.KubeApiDouble.Schemas;

namespace LocalTls.KubeApiDouble;

/// <summary>Request bodies: JSON, or YAML for an apply patch (KubernetesClient sends JSON there, kubectl YAML).</summary>
internal static class Bodies
{
    public static JsonNode? ParseJson(string body)
    {
        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            throw ApiError.BadRequest($"error decoding JSON: {e.Message}");
        }
    }

    public static JsonObject ParseObject(string body) =>
        ParseJson(body) as JsonObject ?? throw ApiError.BadRequest("the body of the request must be a JSON object");

    public static JsonObject ParseApply(string body)
    {
        JsonNode? node;
        try
        {
            node = body.TrimStart().StartsWith('{') ? JsonNode.Parse(body) : YamlJson.Parse(body);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw ApiError.BadRequest($"error decoding YAML: {e.Message}");
        }

        return node as JsonObject ?? throw ApiError.BadRequest("an apply patch must be a single object");
    }
}
