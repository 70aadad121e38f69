using System.Globalization;
using System.Text.Json.Nodes;
using LocalTls.KubeApiDouble.Schemas;

namespace LocalTls.KubeApiDouble.Apply;

/// <summary>One <c>metadata.managedFields</c> entry.</summary>
internal sealed record ManagedEntry(string Manager, string Operation, string ApiVersion, string? Subresource, string Time, FieldSet Fields)
{
    public bool SameOwner(ManagedEntry other) =>
        Manager == other.Manager && Operation == other.Operation && Subresource == other.Subresource;
}

/// <summary>A field manager's conflict with the fields an apply sets.</summary>
internal sealed record FieldConflict(string Manager, string ApiVersion, IReadOnlyList<string> Path);

/// <summary>Thrown when an apply would change fields other managers own and <c>force</c> is not set.</summary>
internal sealed class ApplyConflictException(IReadOnlyList<FieldConflict> conflicts) : Exception("apply conflict")
{
    public IReadOnlyList<FieldConflict> Conflicts { get; } = conflicts;
}

/// <summary>
/// Field ownership as the API server tracks it (sigs.k8s.io/structured-merge-diff): apply with conflicts and removal
/// of fields a manager stopped applying, and updates that move ownership to the updater.
/// </summary>
/// <remarks>
/// Simplified: lists are associative only where the schema says <c>x-kubernetes-list-type: map</c>; every other list,
/// sets included, is atomic. Items of associative lists keep the live order with new items appended. A field a manager
/// stops applying is kept when any other manager owns it or anything below it. No defaulting runs, so defaulted fields
/// (e.g. a port's <c>protocol: TCP</c>) are neither stored nor owned unless written.
/// </remarks>
internal static class ManagedFields
{
    /// <summary>The part of an object that field managers can own: no apiVersion/kind, no server-set metadata.</summary>
    public static JsonObject Trackable(JsonObject obj, bool hasStatusSubresource, string? subresource)
    {
        var copy = new JsonObject();
        foreach (var (key, value) in obj)
        {
            if (key is "apiVersion" or "kind")
            {
                continue;
            }

            if (hasStatusSubresource && (subresource == "status") != (key == "status") && key != "metadata")
            {
                continue;
            }

            if (key == "metadata" && hasStatusSubresource && subresource == "status")
            {
                continue;
            }

            if (key == "metadata" && value is JsonObject meta)
            {
                var kept = new JsonObject();
                foreach (var (name, field) in meta)
                {
                    if (name is "labels" or "annotations" or "finalizers" or "ownerReferences")
                    {
                        kept[name] = field?.DeepClone();
                    }
                }

                if (kept.Count > 0)
                {
                    copy["metadata"] = kept;
                }

                continue;
            }

            copy[key] = value?.DeepClone();
        }

        return copy;
    }

    public static List<ManagedEntry> Read(JsonObject? obj)
    {
        var entries = new List<ManagedEntry>();
        foreach (var item in obj?["metadata"]?["managedFields"] as JsonArray ?? [])
        {
            if (item is JsonObject e)
            {
                entries.Add(new ManagedEntry(
                    (string?)e["manager"] ?? "",
                    (string?)e["operation"] ?? "Update",
                    (string?)e["apiVersion"] ?? "",
                    (string?)e["subresource"],
                    (string?)e["time"] ?? "",
                    FieldSet.FromFieldsV1(e["fieldsV1"])));
            }
        }

        return entries;
    }

    public static void Write(JsonObject obj, IEnumerable<ManagedEntry> entries)
    {
        var list = new JsonArray();
        foreach (var e in entries.Where(e => !e.Fields.IsEmpty))
        {
            var item = new JsonObject
            {
                ["manager"] = e.Manager,
                ["operation"] = e.Operation,
                ["apiVersion"] = e.ApiVersion,
                ["time"] = e.Time,
                ["fieldsType"] = "FieldsV1",
                ["fieldsV1"] = e.Fields.ToFieldsV1(),
            };
            if (e.Subresource is not null)
            {
                item["subresource"] = e.Subresource;
            }

            list.Add(item);
        }

        var meta = (JsonObject)obj["metadata"]!;
        if (list.Count > 0)
        {
            meta["managedFields"] = list;
        }
        else
        {
            meta.Remove("managedFields");
        }
    }

    public static string Now(TimeProvider time) =>
        time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// Server-side apply of <paramref name="applied"/> (already trimmed by <see cref="Trackable"/>) onto
    /// <paramref name="live"/> (also trimmed; empty for a create). Returns the new trackable content and entries.
    /// </summary>
    public static (JsonObject Content, List<ManagedEntry> Entries) Apply(
        JsonObject live, List<ManagedEntry> entries, JsonObject applied, ManagedEntry me, bool force, SchemaCursor? schema)
    {
        var untouched = entries.Where(e => e.Subresource != me.Subresource).ToList();
        var (content, result) = ApplySameSubresource(live, [.. entries.Where(e => e.Subresource == me.Subresource)], applied, me, force, schema);
        return (content, [.. untouched, .. result]);
    }

    private static (JsonObject Content, List<ManagedEntry> Entries) ApplySameSubresource(
        JsonObject live, List<ManagedEntry> entries, JsonObject applied, ManagedEntry me, bool force, SchemaCursor? schema)
    {
        var appliedSet = FieldSet.OfApplied(applied, schema);
        var mine = entries.FirstOrDefault(e => e.SameOwner(me));
        var others = entries.Where(e => !e.SameOwner(me)).Select(e => e with { Fields = e.Fields.Clone() }).ToList();

        var conflicts = new List<FieldConflict>();
        foreach (var path in appliedSet.Members().Where(p => !appliedSet.HasChildren(p)))
        {
            FieldPaths.TryGet(live, path, out var liveValue);
            FieldPaths.TryGet(applied, path, out var appliedValue);
            if (JsonNode.DeepEquals(liveValue, appliedValue))
            {
                continue;
            }

            foreach (var other in others.Where(o => o.Fields.Contains(path)))
            {
                conflicts.Add(new FieldConflict(other.Manager, other.ApiVersion, path));
                if (force)
                {
                    other.Fields.Remove(path);
                }
            }
        }

        if (conflicts.Count > 0 && !force)
        {
            throw new ApplyConflictException(conflicts);
        }

        var merged = (JsonObject)Merge(live, applied, schema)!;
        if (mine is not null)
        {
            // Shallowest first: a list item nobody else touches goes as a whole (its key fields included), before
            // its own fields would be removed one by one and leave an item that no key finds.
            foreach (var path in mine.Fields.Members().Where(p => !appliedSet.Contains(p)).OrderBy(p => p.Count))
            {
                if (!appliedSet.Touches(path) && !others.Any(o => o.Fields.Touches(path)))
                {
                    FieldPaths.Remove(merged, path, parent => appliedSet.Contains(parent) || others.Any(o => o.Fields.Touches(parent)));
                }
            }
        }

        var unchanged = JsonNode.DeepEquals(merged, live) && mine is not null && mine.Fields.SetEquals(appliedSet)
            && others.Count == entries.Count - 1;
        var result = new List<ManagedEntry>();
        foreach (var entry in entries)
        {
            if (entry.SameOwner(me))
            {
                result.Add(unchanged ? entry : me with { Fields = appliedSet });
            }
            else
            {
                result.Add(others.First(o => o.SameOwner(entry)));
            }
        }

        if (mine is null)
        {
            result.Add(me with { Fields = appliedSet });
        }

        return (merged, result.Where(e => !e.Fields.IsEmpty).ToList());
    }

    /// <summary>
    /// Ownership after a create, update or patch by <paramref name="me"/>: the fields it changed become its own and
    /// leave every other manager (an update never conflicts); removed fields leave every manager.
    /// </summary>
    public static List<ManagedEntry> Update(JsonObject live, List<ManagedEntry> entries, JsonObject updated, ManagedEntry me, SchemaCursor? schema)
    {
        // A write through one subresource only sees that subresource's fields: entries of the others stay as they are.
        var untouched = entries.Where(e => e.Subresource != me.Subresource).ToList();
        return [.. untouched, .. UpdateSameSubresource(live, [.. entries.Where(e => e.Subresource == me.Subresource)], updated, me, schema)];
    }

    private static List<ManagedEntry> UpdateSameSubresource(JsonObject live, List<ManagedEntry> entries, JsonObject updated, ManagedEntry me, SchemaCursor? schema)
    {
        var changes = FieldSet.OfChanges(live, updated, schema);
        var result = new List<ManagedEntry>();
        var found = false;
        foreach (var entry in entries)
        {
            var fields = entry.Fields.Clone();
            foreach (var path in entry.Fields.Members())
            {
                if (!FieldPaths.TryGet(updated, path, out _) || (!entry.SameOwner(me) && changes.Contains(path)))
                {
                    fields.Remove(path);
                }
            }

            if (entry.SameOwner(me))
            {
                found = true;
                foreach (var path in changes.Members())
                {
                    fields.Add(path);
                }

                result.Add(changes.IsEmpty && fields.SetEquals(entry.Fields) ? entry : me with { Fields = fields });
            }
            else
            {
                result.Add(fields.SetEquals(entry.Fields) ? entry : entry with { Fields = fields });
            }
        }

        if (!found && !changes.IsEmpty)
        {
            result.Add(me with { Fields = changes });
        }

        return result.Where(e => !e.Fields.IsEmpty).ToList();
    }

    /// <summary>Applied values over live ones: maps field by field, associative lists item by item, the rest replaced.</summary>
    public static JsonNode? Merge(JsonNode? live, JsonNode? applied, SchemaCursor? schema)
    {
        switch (applied)
        {
            case JsonObject obj when live is JsonObject liveObj && schema?.IsAtomicMap != true:
                var result = (JsonObject)liveObj.DeepClone();
                foreach (var (key, value) in obj)
                {
                    result[key] = Merge(liveObj[key], value, schema?.Property(key));
                }

                return result;
            case JsonArray array when live is JsonArray liveArray && schema?.ListMapKeys is { } keys:
                var items = liveArray.Select(i => i?.DeepClone()).ToList();
                foreach (var item in array)
                {
                    var key = FieldSet.ItemKey(item, keys);
                    var index = items.FindIndex(i => FieldSet.ItemKey(i, keys) == key);
                    if (index >= 0)
                    {
                        items[index] = Merge(items[index], item, schema.Items);
                    }
                    else
                    {
                        items.Add(item?.DeepClone());
                    }
                }

                return new JsonArray([.. items]);
            default:
                return applied?.DeepClone();
        }
    }
}
