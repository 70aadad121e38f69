using System.Text.Json.Nodes;

namespace LocalTls.KubeApiDouble.Apply;

/// <summary>Reads and removes values at <see cref="FieldSet"/> paths (<c>f:</c> fields and <c>k:</c> list items).</summary>
internal static class FieldPaths
{
    public static bool TryGet(JsonNode? root, IReadOnlyList<string> path, out JsonNode? value)
    {
        value = root;
        foreach (var element in path)
        {
            if (!TryStep(value, element, out value, out _))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Removes the value at the path; parents left empty by it are removed too, unless <paramref name="keep"/> says not.</summary>
    public static void Remove(JsonNode root, IReadOnlyList<string> path, Func<IReadOnlyList<string>, bool> keep)
    {
        if (path.Count == 0)
        {
            return;
        }

        var parents = new List<JsonNode?> { root };
        var node = (JsonNode?)root;
        for (var i = 0; i < path.Count - 1; i++)
        {
            if (!TryStep(node, path[i], out node, out _))
            {
                return;
            }

            parents.Add(node);
        }

        for (var depth = path.Count - 1; depth >= 0; depth--)
        {
            var parent = parents[depth];
            if (!TryStep(parent, path[depth], out _, out var index))
            {
                return;
            }

            switch (parent)
            {
                case JsonObject obj:
                    obj.Remove(path[depth][2..]);
                    break;
                case JsonArray array:
                    array.RemoveAt(index);
                    break;
            }

            var emptied = parent is JsonObject { Count: 0 } or JsonArray { Count: 0 };
            if (depth == 0 || !emptied || keep(path.Take(depth).ToList()))
            {
                return;
            }
        }
    }

    private static bool TryStep(JsonNode? node, string element, out JsonNode? value, out int index)
    {
        value = null;
        index = -1;
        if (element.StartsWith("f:", StringComparison.Ordinal) && node is JsonObject obj)
        {
            return obj.TryGetPropertyValue(element[2..], out value);
        }

        if (element.StartsWith("k:", StringComparison.Ordinal) && node is JsonArray array
            && JsonNode.Parse(element[2..]) is JsonObject key)
        {
            for (var i = 0; i < array.Count; i++)
            {
                if (array[i] is JsonObject item && key.All(k => JsonNode.DeepEquals(item[k.Key], k.Value)))
                {
                    value = item;
                    index = i;
                    return true;
                }
            }
        }

        if (element.StartsWith("v:", StringComparison.Ordinal) && node is JsonArray set)
        {
            var wanted = JsonNode.Parse(element[2..]);
            for (var i = 0; i < set.Count; i++)
            {
                if (JsonNode.DeepEquals(set[i], wanted))
                {
                    value = set[i];
                    index = i;
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary><c>.spec.containers[name="app"].image</c>, the way the API server prints a field in a conflict.</summary>
    public static string Describe(IReadOnlyList<string> path)
    {
        var text = new System.Text.StringBuilder();
        foreach (var element in path)
        {
            if (element.StartsWith("f:", StringComparison.Ordinal))
            {
                text.Append('.').Append(element[2..]);
            }
            else if (element.StartsWith("k:", StringComparison.Ordinal) && JsonNode.Parse(element[2..]) is JsonObject key)
            {
                text.Append('[').Append(string.Join(",", key.Select(k => $"{k.Key}={k.Value?.ToJsonString()}"))).Append(']');
            }
            else
            {
                text.Append('[').Append(element[2..]).Append(']');
            }
        }

        return text.ToString();
    }
}
