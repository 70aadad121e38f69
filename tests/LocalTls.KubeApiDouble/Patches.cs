using System.Text.Json.Nodes;
using LocalTls.KubeApiDouble.Schemas;

namespace LocalTls.KubeApiDouble;

/// <summary>JSON merge patch (RFC 7386), strategic merge patch (simplified) and JSON patch (RFC 6902).</summary>
internal static class Patches
{
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : [];
        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                result[key] = MergePatch(result[key], value);
            }
        }

        return result;
    }

    /// <summary>
    /// Strategic merge patch as far as LocalTls and kubectl use it: a merge patch in which lists with an
    /// <c>x-kubernetes-patch-merge-key</c> are merged item by item (an item with <c>$patch: delete</c> is removed).
    /// Simplified: other directives (<c>$setElementOrder</c>, <c>$retainKeys</c>, <c>$deleteFromPrimitiveList</c>) are
    /// dropped, and primitive lists are replaced.
    /// </summary>
    public static JsonNode? StrategicMergePatch(JsonNode? target, JsonNode? patch, SchemaCursor? schema)
    {
        switch (patch)
        {
            case JsonObject patchObject:
                if (patchObject["$patch"] is JsonValue directive && (string?)directive == "replace")
                {
                    var replacement = (JsonObject)patchObject.DeepClone();
                    replacement.Remove("$patch");
                    return replacement;
                }

                var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : [];
                foreach (var (key, value) in patchObject)
                {
                    if (key.StartsWith('$'))
                    {
                        continue;
                    }

                    if (value is null)
                    {
                        result.Remove(key);
                    }
                    else
                    {
                        result[key] = StrategicMergePatch(result[key], value, schema?.Property(key));
                    }
                }

                return result;
            case JsonArray patchArray when schema?.PatchMergeKey is { } mergeKey && target is JsonArray targetArray:
                var items = targetArray.Select(i => i?.DeepClone()).ToList();
                foreach (var item in patchArray)
                {
                    var key = item?[mergeKey];
                    var index = items.FindIndex(i => JsonNode.DeepEquals(i?[mergeKey], key));
                    if (item is JsonObject o && (string?)o["$patch"] == "delete")
                    {
                        if (index >= 0)
                        {
                            items.RemoveAt(index);
                        }
                    }
                    else if (index >= 0)
                    {
                        items[index] = StrategicMergePatch(items[index], item, schema.Items);
                    }
                    else
                    {
                        items.Add(StrategicMergePatch(null, item, schema.Items));
                    }
                }

                return new JsonArray([.. items]);
            default:
                return patch?.DeepClone();
        }
    }

    /// <summary>RFC 6902: add, remove, replace, test, copy, move.</summary>
    public static JsonNode? JsonPatch(JsonNode? target, JsonNode? patch)
    {
        var document = target?.DeepClone();
        foreach (var operation in patch as JsonArray ?? throw ApiError.BadRequest("a JSON patch must be an array of operations"))
        {
            var op = (string?)operation?["op"];
            var path = (string?)operation?["path"] ?? throw ApiError.BadRequest("a JSON patch operation needs a path");
            switch (op)
            {
                case "add":
                    document = Set(document, path, operation!["value"]?.DeepClone(), insert: true);
                    break;
                case "replace":
                    Get(document, path);
                    document = Set(document, path, operation!["value"]?.DeepClone(), insert: false);
                    break;
                case "remove":
                    document = Remove(document, path);
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(document, path), operation!["value"]))
                    {
                        throw new ApiError(422, "Invalid", $"the server rejected our request due to an error in our request: test failed at {path}");
                    }

                    break;
                case "copy":
                    document = Set(document, path, Get(document, (string)operation!["from"]!)?.DeepClone(), insert: true);
                    break;
                case "move":
                    var from = (string)operation!["from"]!;
                    var value = Get(document, from)?.DeepClone();
                    document = Set(Remove(document, from), path, value, insert: true);
                    break;
                default:
                    throw ApiError.BadRequest($"Unexpected kind: {op}");
            }
        }

        return document;
    }

    private static string[] Segments(string pointer) =>
        pointer.Length == 0 ? [] : pointer[1..].Split('/').Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();

    private static string ParentPointer(string[] segments) =>
        string.Concat(segments[..^1].Select(s => "/" + s.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)));

    private static JsonNode? Get(JsonNode? document, string pointer)
    {
        var node = document;
        foreach (var segment in Segments(pointer))
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(segment, out var v) => v,
                JsonArray a when int.TryParse(segment, out var i) && i >= 0 && i < a.Count => a[i],
                _ => throw new ApiError(422, "Invalid", $"the server rejected our request due to an error in our request: doc is missing path: \"{pointer}\""),
            };
        }

        return node;
    }

    private static JsonNode? Set(JsonNode? document, string pointer, JsonNode? value, bool insert)
    {
        var segments = Segments(pointer);
        if (segments.Length == 0)
        {
            return value;
        }

        var parent = Get(document, ParentPointer(segments));
        var last = segments[^1];
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i <= a.Count:
                if (insert)
                {
                    a.Insert(i, value);
                }
                else
                {
                    a[i] = value;
                }

                break;
            default:
                throw new ApiError(422, "Invalid", $"the server rejected our request due to an error in our request: doc is missing path: \"{pointer}\"");
        }

        return document;
    }

    private static JsonNode? Remove(JsonNode? document, string pointer)
    {
        var segments = Segments(pointer);
        Get(document, pointer);
        var parent = Get(document, ParentPointer(segments));
        switch (parent)
        {
            case JsonObject o:
                o.Remove(segments[^1]);
                break;
            case JsonArray a:
                a.RemoveAt(int.Parse(segments[^1], System.Globalization.CultureInfo.InvariantCulture));
                break;
        }

        return document;
    }
}
