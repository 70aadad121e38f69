using System.Text.Json;
using System.Text.Json.Nodes;
using LocalTls.KubeApiDouble.Schemas;

namespace LocalTls.KubeApiDouble.Apply;

/// <summary>
/// A set of field paths in the <c>FieldsV1</c> shape of <c>metadata.managedFields</c>: <c>f:name</c> for a field,
/// <c>k:{"name":"x"}</c> for an item of an associative list (key fields sorted by name), <c>v:value</c> for a set item,
/// and <c>.</c> for a node that is itself a member while also having members below it.
/// </summary>
internal sealed class FieldSet
{
    private readonly SortedDictionary<string, FieldSet> children = new(StringComparer.Ordinal);

    /// <summary>This node itself is in the set (a leaf, a list item, or a map an Update created).</summary>
    public bool Self { get; private set; }

    public IReadOnlyDictionary<string, FieldSet> Children => children;

    public bool IsEmpty => !Self && children.Count == 0;

    public static FieldSet FromFieldsV1(JsonNode? fields)
    {
        var set = new FieldSet();
        if (fields is not JsonObject obj)
        {
            return set;
        }

        foreach (var (key, value) in obj)
        {
            if (key == ".")
            {
                set.Self = true;
                continue;
            }

            var child = FromFieldsV1(value);
            if (child.children.Count == 0)
            {
                child.Self = true;
            }

            set.children[key] = child;
        }

        return set;
    }

    public JsonObject ToFieldsV1()
    {
        var obj = new JsonObject();
        if (Self && children.Count > 0)
        {
            obj["."] = new JsonObject();
        }

        foreach (var (key, child) in children)
        {
            obj[key] = child.ToFieldsV1();
        }

        return obj;
    }

    /// <summary>
    /// The fields an applied configuration sets, as structured-merge-diff counts them: every scalar, every atomic list
    /// or map, every associative-list item (and its fields), and empty or null maps; a granular map is not a member
    /// itself, only through its fields.
    /// </summary>
    public static FieldSet OfApplied(JsonNode? value, SchemaCursor? schema)
    {
        var set = new FieldSet();
        set.AddApplied(value, schema);
        return set;
    }

    private void AddApplied(JsonNode? value, SchemaCursor? schema)
    {
        switch (value)
        {
            case JsonObject obj when schema?.IsAtomicMap != true:
                if (obj.Count == 0)
                {
                    Self = true;
                }

                foreach (var (key, child) in obj)
                {
                    var node = Child("f:" + key);
                    if (child is null or JsonObject { Count: 0 })
                    {
                        node.Self = true;
                    }
                    else
                    {
                        node.AddApplied(child, schema?.Property(key));
                    }
                }

                break;
            case JsonArray array when schema?.ListMapKeys is { } keys:
                foreach (var item in array)
                {
                    var node = Child(ItemKey(item, keys));
                    node.Self = true;
                    if (item is JsonObject itemObject)
                    {
                        node.AddApplied(itemObject, schema.Items);
                    }
                }

                break;
            default:
                Self = true;
                break;
        }
    }

    /// <summary>
    /// The fields an update added or changed (new maps count as members themselves, as an Update's managed fields show
    /// them with <c>.</c>).
    /// </summary>
    public static FieldSet OfChanges(JsonNode? before, JsonNode? after, SchemaCursor? schema)
    {
        var set = new FieldSet();
        set.AddChanges(before, existed: before is not null, after, schema);
        set.Self = false;
        return set;
    }

    private void AddChanges(JsonNode? before, bool existed, JsonNode? after, SchemaCursor? schema)
    {
        switch (after)
        {
            case JsonObject obj when schema?.IsAtomicMap != true:
                if (!existed || before is not JsonObject old)
                {
                    // Simplified: a Go pointer-to-struct (e.g. rollingUpdate) would count on a real server; none do here.
                    Self |= schema?.IsBuiltInStruct != true;
                    old = [];
                }

                foreach (var (key, child) in obj)
                {
                    var had = old.TryGetPropertyValue(key, out var previous);
                    if (!had || !JsonNode.DeepEquals(previous, child))
                    {
                        Child("f:" + key).AddChanges(previous, had, child, schema?.Property(key));
                    }
                }

                break;
            case JsonArray array when schema?.ListMapKeys is { } keys:
                // An associative list is never a member itself, only through its items.
                var oldItems = existed && before is JsonArray items ? items : [];

                var previousItems = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
                foreach (var item in oldItems)
                {
                    previousItems.TryAdd(ItemKey(item, keys), item);
                }

                foreach (var item in array)
                {
                    var key = ItemKey(item, keys);
                    var had = previousItems.TryGetValue(key, out var previous);
                    if (!had || !JsonNode.DeepEquals(previous, item))
                    {
                        var node = Child(key);
                        node.Self |= !had;
                        node.AddChanges(previous, had, item, schema.Items);
                    }
                }

                break;
            default:
                if (!existed || !JsonNode.DeepEquals(before, after))
                {
                    Self = true;
                }

                break;
        }
    }

    /// <summary>Every member, as the list of path elements from the root.</summary>
    public IEnumerable<IReadOnlyList<string>> Members() => Members([]);

    private IEnumerable<IReadOnlyList<string>> Members(List<string> prefix)
    {
        if (Self)
        {
            yield return prefix.ToList();
        }

        foreach (var (key, child) in children)
        {
            prefix.Add(key);
            foreach (var member in child.Members(prefix))
            {
                yield return member;
            }

            prefix.RemoveAt(prefix.Count - 1);
        }
    }

    /// <summary>Whether the path itself is a member.</summary>
    public bool Contains(IReadOnlyList<string> path) => Find(path)?.Self == true;

    /// <summary>Whether the path, or anything below it, is a member.</summary>
    public bool Touches(IReadOnlyList<string> path) => Find(path) is { IsEmpty: false };

    /// <summary>Whether the path is a member with members below it (a list item or a map, not a leaf value).</summary>
    public bool HasChildren(IReadOnlyList<string> path) => Find(path) is { children.Count: > 0 };

    private FieldSet? Find(IReadOnlyList<string> path)
    {
        var node = this;
        foreach (var key in path)
        {
            if (!node.children.TryGetValue(key, out node))
            {
                return null;
            }
        }

        return node;
    }

    public void Add(IReadOnlyList<string> path)
    {
        var node = this;
        foreach (var key in path)
        {
            node = node.Child(key);
        }

        node.Self = true;
    }

    /// <summary>Removes the path (and, with <paramref name="withChildren"/>, everything below it); empty nodes are pruned.</summary>
    public void Remove(IReadOnlyList<string> path, bool withChildren = false) => Remove(path, 0, withChildren);

    private void Remove(IReadOnlyList<string> path, int depth, bool withChildren)
    {
        if (depth == path.Count)
        {
            Self = false;
            if (withChildren)
            {
                children.Clear();
            }

            return;
        }

        if (children.TryGetValue(path[depth], out var child))
        {
            child.Remove(path, depth + 1, withChildren);
            if (child.IsEmpty)
            {
                children.Remove(path[depth]);
            }
        }
    }

    public FieldSet Clone()
    {
        var copy = new FieldSet { Self = Self };
        foreach (var (key, child) in children)
        {
            copy.children[key] = child.Clone();
        }

        return copy;
    }

    public bool SetEquals(FieldSet other) =>
        Self == other.Self && children.Count == other.children.Count
        && children.All(c => other.children.TryGetValue(c.Key, out var o) && c.Value.SetEquals(o));

    private FieldSet Child(string key)
    {
        if (!children.TryGetValue(key, out var child))
        {
            child = new FieldSet();
            children[key] = child;
        }

        return child;
    }

    /// <summary><c>k:{"containerPort":80,"protocol":"TCP"}</c>: the item's key fields that are set, sorted by name.</summary>
    public static string ItemKey(JsonNode? item, IReadOnlyList<string> keys)
    {
        var key = new JsonObject();
        foreach (var name in keys.Order(StringComparer.Ordinal))
        {
            if (item?[name] is JsonNode value)
            {
                key[name] = value.DeepClone();
            }
        }

        return "k:" + key.ToJsonString(KeyJson);
    }

    private static readonly JsonSerializerOptions KeyJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
