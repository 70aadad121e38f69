using System.Text.Json.Nodes;
using LocalTls.KubeApiDouble.Apply;
using LocalTls.KubeApiDouble.Schemas;

namespace LocalTls.KubeApiDouble;

/// <summary>How a write was asked for: the query parameters that change what it does.</summary>
public sealed record WriteOptions(string? FieldManager = null, bool Force = false, bool DryRun = false, string? UserAgent = null, string? FieldValidation = null)
{
    /// <summary>Whether the request named <c>force</c> at all (only apply patches may).</summary>
    public bool ForceGiven { get; init; }

    /// <summary>Warnings for the response's <c>Warning</c> headers (unknown fields dropped under Warn).</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>The manager of an update without <c>fieldManager</c>: the user agent up to its first '/', as the API server derives it.</summary>
    public string UpdateManager => FieldManager
        ?? (UserAgent is { Length: > 0 } agent ? agent.Split('/')[0] : "unknown");
}

/// <summary>
/// The API server's behaviour on stored objects, without HTTP: create, replace, patch (merge, strategic, JSON, apply),
/// delete, each admitted only when the object is valid against the reference schemas.
/// </summary>
public sealed partial class KubeApi(KubernetesSchemas schemas, ObjectStore store, TimeProvider time)
{
    private static readonly ResourceType CrdType = ResourceType.BuiltIn.Single(t => t.Kind == "CustomResourceDefinition");
    private static readonly ResourceType NamespaceType = ResourceType.BuiltIn.Single(t => t.Kind == "Namespace");

    public ObjectStore Store => store;

    public KubernetesSchemas Schemas => schemas;

    /// <summary>Admission webhooks tests register; they run on every write, dry runs included.</summary>
    public Admission Admission { get; } = new();

    /// <summary>Built-in types and the served versions of every stored CustomResourceDefinition.</summary>
    public IReadOnlyList<ResourceType> Types()
    {
        // Recomputed only after a write (stored CRDs are large; every request looks its type up).
        var version = store.ResourceVersion;
        if (typesCache is { } cached && cached.Version == version)
        {
            return cached.Types;
        }

        var types = new List<ResourceType>(ResourceType.BuiltIn);
        foreach (var crd in store.List(CrdType, null))
        {
            types.AddRange(ResourceType.FromCrd(crd).Where(t => !types.Any(b => b.Group == t.Group && b.Version == t.Version && b.Plural == t.Plural)));
        }

        typesCache = new TypesSnapshot(version, types);
        return types;
    }

    /// <summary>A reference, so that readers on other threads see a whole snapshot or the previous one.</summary>
    private sealed record TypesSnapshot(long Version, IReadOnlyList<ResourceType> Types);

    private TypesSnapshot? typesCache;

    public ResourceType? FindType(string group, string version, string plural) =>
        Types().FirstOrDefault(t => t.Group == group && t.Version == version && t.Plural == plural);

    public JsonObject Get(ResourceType type, string? ns, string name) =>
        store.Get(type, ns, name) ?? throw ApiError.NotFound(type, name);

    public JsonObject List(ResourceType type, string? ns, Func<JsonObject, bool> filter)
    {
        lock (store.Gate)
        {
            var objects = store.List(type, ns).Where(filter).ToList();
            if (ResourceType.BuiltIn.Contains(type))
            {
                // Items of a built-in list carry no apiVersion/kind on the wire (custom resources' items do).
                objects.ForEach(o =>
                {
                    o.Remove("apiVersion");
                    o.Remove("kind");
                });
            }

            var items = new JsonArray([.. objects]);
            return new JsonObject
            {
                ["kind"] = type.Kind + "List",
                ["apiVersion"] = type.ApiVersion,
                ["metadata"] = new JsonObject { ["resourceVersion"] = store.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                ["items"] = items,
            };
        }
    }

    public JsonObject Create(ResourceType type, string? ns, JsonObject body, WriteOptions options)
    {
        lock (store.Gate)
        {
            var name = (string?)body["metadata"]?["name"];
            if (string.IsNullOrEmpty(name) && (string?)body["metadata"]?["generateName"] is { Length: > 0 } prefix)
            {
                name = prefix + Guid.NewGuid().ToString("N")[..5];
                body["metadata"]!["name"] = name;
            }

            if (string.IsNullOrEmpty(name))
            {
                throw ApiError.Invalid(type.QualifiedKind, type.Group, type.Kind, "", [("metadata.name", "FieldValueRequired", "Required value: name or generateName is required")]);
            }

            CheckIdentity(type, ns, name, body);
            if (store.Get(type, ns, name) is not null)
            {
                throw ApiError.AlreadyExists(type, name);
            }

            // A create sets no status where status is a subresource.
            var candidate = StripStatusOnCreate(type, (JsonObject)body.DeepClone());
            var me = Entry(options.UpdateManager, "Update", type, null);
            var entries = ManagedFields.Update([], [], ManagedFields.Trackable(candidate, type.HasStatus, null), me, Root(type));
            ManagedFields.Write(candidate, entries);
            return Admit(type, ns, name, null, candidate, options);
        }
    }

    public JsonObject Replace(ResourceType type, string? ns, string name, string? subresource, JsonObject body, WriteOptions options)
    {
        lock (store.Gate)
        {
            CheckIdentity(type, ns, name, body);
            var old = store.Get(type, ns, name) ?? throw ApiError.NotFound(type, name);
            CheckPrecondition(type, name, old, body);
            return Update(type, ns, name, subresource, old, (JsonObject)body.DeepClone(), options);
        }
    }

    public JsonObject Patch(ResourceType type, string? ns, string name, string? subresource, string contentType, string body, WriteOptions options)
    {
        var mediaType = contentType.Split(';')[0].Trim();
        if (mediaType == "application/apply-patch+yaml")
        {
            return ServerSideApply(type, ns, name, subresource, body, options);
        }

        if (options.ForceGiven)
        {
            // The API server checks PatchOptions before it looks for the object.
            throw ApiError.Invalid("PatchOptions.meta.k8s.io", "meta.k8s.io", "PatchOptions", "",
                [("force", "FieldValueForbidden", "Forbidden: may not be specified for non-apply patch")]);
        }

        lock (store.Gate)
        {
            var old = store.Get(type, ns, name) ?? throw ApiError.NotFound(type, name);
            var patch = Bodies.ParseJson(body);
            JsonNode? patched = mediaType switch
            {
                "application/merge-patch+json" => Patches.MergePatch(old, patch),
                "application/strategic-merge-patch+json" when type.Group is "" or "apps" or "networking.k8s.io" or "apiextensions.k8s.io" =>
                    Patches.StrategicMergePatch(old, patch, Root(type)),
                "application/strategic-merge-patch+json" => throw new ApiError(415, "UnsupportedMediaType",
                    "strategic merge patch is not supported for custom resources: use merge or JSON patch"),
                "application/json-patch+json" => Patches.JsonPatch(old, patch),
                _ => throw ApiError.UnsupportedMediaType(contentType),
            };
            if (patched is not JsonObject candidate)
            {
                throw ApiError.BadRequest("the patch did not produce an object");
            }

            CheckIdentity(type, ns, name, candidate);
            CheckPrecondition(type, name, old, candidate);
            return Update(type, ns, name, subresource, old, candidate, options);
        }
    }

    public JsonObject Delete(ResourceType type, string? ns, string name, WriteOptions options)
    {
        lock (store.Gate)
        {
            var old = store.Get(type, ns, name) ?? throw ApiError.NotFound(type, name);
            if (type == NamespaceType && NamespaceContents(name).Count > 0)
            {
                return Terminate(old, options);
            }

            if (!options.DryRun)
            {
                store.Remove(type, ns, name);
                if (type == CrdType)
                {
                    // Its custom resources go with it (at once; a real server finalizes the CRD first).
                    foreach (var served in ResourceType.FromCrd(old))
                    {
                        foreach (var obj in store.List(served, null))
                        {
                            store.Remove(served, (string?)obj["metadata"]!["namespace"], (string)obj["metadata"]!["name"]!);
                        }
                    }
                }
            }

            var details = new JsonObject { ["name"] = name };
            if (type.Group.Length > 0)
            {
                details["group"] = type.Group;
            }

            details["kind"] = type.Plural;
            details["uid"] = old["metadata"]?["uid"]?.DeepClone();
            return new JsonObject
            {
                ["kind"] = "Status",
                ["apiVersion"] = "v1",
                ["metadata"] = new JsonObject(),
                ["status"] = "Success",
                ["details"] = details,
            };
        }
    }

    private List<(ResourceType Type, string Name)> NamespaceContents(string ns) =>
        Types().Where(t => t.Namespaced).SelectMany(t => store.List(t, ns).Select(o => (t, (string)o["metadata"]!["name"]!))).ToList();

    /// <summary>
    /// A Namespace with contents goes Terminating, as on a real server; its contents and then the Namespace itself are
    /// removed shortly after, by a stand-in for the namespace controller. Simplified: finalizers are not waited for.
    /// </summary>
    private JsonObject Terminate(JsonObject ns, WriteOptions options)
    {
        var name = (string)ns["metadata"]!["name"]!;
        if (ns["metadata"]!["deletionTimestamp"] is null)
        {
            ns["metadata"]!["deletionTimestamp"] = ManagedFields.Now(time);
            ns["status"] = new JsonObject { ["phase"] = "Terminating" };
            if (options.DryRun)
            {
                return ns;
            }

            ns = store.Put(NamespaceType, null, name, ns);
            _ = Task.Run(async () =>
            {
                await Task.Delay(NamespaceTerminationDelay);
                lock (store.Gate)
                {
                    foreach (var (type, objectName) in NamespaceContents(name))
                    {
                        store.Remove(type, name, objectName);
                    }

                    store.Remove(NamespaceType, null, name);
                }
            });
        }

        return ns;
    }

    /// <summary>How long a Terminating Namespace keeps its contents (a real one takes about as long, with no finalizers).</summary>
    public TimeSpan NamespaceTerminationDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    private JsonObject ServerSideApply(ResourceType type, string? ns, string name, string? subresource, string body, WriteOptions options)
    {
        if (string.IsNullOrEmpty(options.FieldManager))
        {
            throw ApiError.Invalid("PatchOptions.meta.k8s.io", "meta.k8s.io", "PatchOptions", "",
                [("fieldManager", "FieldValueRequired", "Required value: is required for apply patch")]);
        }

        var applied = Bodies.ParseApply(body);
        var apiVersion = (string?)applied["apiVersion"];
        var kind = (string?)applied["kind"];
        if (apiVersion != type.ApiVersion || kind != type.Kind)
        {
            throw ApiError.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({type.ApiVersion})" +
                (kind == type.Kind ? "" : $" or the kind in the data ({kind}) does not match the expected kind ({type.Kind})"));
        }

        lock (store.Gate)
        {
            CheckIdentity(type, ns, name, applied);
            var old = store.Get(type, ns, name);
            if (old is null && subresource is not null)
            {
                throw ApiError.NotFound(type, name);
            }

            if (old is not null)
            {
                CheckPrecondition(type, name, old, applied);
            }

            var me = Entry(options.FieldManager, "Apply", type, subresource);
            var live = old is null ? [] : ManagedFields.Trackable(old, type.HasStatus, subresource);
            var appliedContent = ManagedFields.Trackable(subresource is null && old is null ? StripStatusOnCreate(type, applied) : applied, type.HasStatus, subresource);
            JsonObject content;
            List<ManagedEntry> entries;
            try
            {
                (content, entries) = ManagedFields.Apply(live, ManagedFields.Read(old), appliedContent, me, options.Force, Root(type));
            }
            catch (ApplyConflictException conflict)
            {
                throw ApiError.ApplyConflict(conflict.Conflicts, ManagedFields.Read(old));
            }

            var candidate = old is null
                ? new JsonObject { ["apiVersion"] = type.ApiVersion, ["kind"] = type.Kind, ["metadata"] = new JsonObject { ["name"] = name } }
                : (JsonObject)old.DeepClone();
            if (ns is not null)
            {
                candidate["metadata"]!["namespace"] = ns;
            }

            WithContent(candidate, content, type.HasStatus, subresource);
            ManagedFields.Write(candidate, entries);
            return Admit(type, ns, name, old, candidate, options);
        }
    }

    private JsonObject Update(ResourceType type, string? ns, string name, string? subresource, JsonObject old, JsonObject candidate, WriteOptions options)
    {
        if (type.HasStatus)
        {
            // A write to the main resource leaves status alone; a write to /status changes nothing but status.
            if (subresource == "status")
            {
                var status = candidate["status"]?.DeepClone();
                candidate = (JsonObject)old.DeepClone();
                candidate.Remove("status");
                if (status is not null)
                {
                    candidate["status"] = status;
                }
            }
            else
            {
                candidate.Remove("status");
                if (old["status"] is JsonNode status)
                {
                    candidate["status"] = status.DeepClone();
                }
            }
        }

        var me = Entry(options.UpdateManager, "Update", type, subresource);
        var entries = ManagedFields.Update(
            ManagedFields.Trackable(old, type.HasStatus, subresource), ManagedFields.Read(old),
            ManagedFields.Trackable(candidate, type.HasStatus, subresource), me, Root(type));
        ManagedFields.Write(candidate, entries);
        return Admit(type, ns, name, old, candidate, options);
    }

    /// <summary>
    /// The last steps of every write: server-set metadata, generation, validation, then storing (not on a dry run,
    /// not when nothing changed: an unchanged object keeps its resourceVersion, as the real server skips no-op writes).
    /// </summary>
    private JsonObject Admit(ResourceType type, string? ns, string name, JsonObject? old, JsonObject candidate, WriteOptions options)
    {
        var owner = type.Namespaced ? store.Get(NamespaceType, null, ns!) ?? throw ApiError.NamespaceNotFound(ns!) : null;
        if (old is null && owner?["metadata"]?["deletionTimestamp"] is not null)
        {
            throw new ApiError(403, "Forbidden", $"{type.QualifiedResource} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                new JsonObject { ["name"] = name, ["group"] = type.Group, ["kind"] = type.Plural });
        }

        candidate["apiVersion"] = type.ApiVersion;
        candidate["kind"] = type.Kind;
        var meta = (JsonObject)candidate["metadata"]!;
        meta["name"] = name;
        if (ns is not null)
        {
            meta["namespace"] = ns;
        }
        else
        {
            // A cluster-scoped object has no namespace, whatever the body said.
            meta.Remove("namespace");
        }

        meta.Remove("selfLink");
        meta["uid"] = old?["metadata"]?["uid"]?.DeepClone() ?? Guid.NewGuid().ToString();
        meta["creationTimestamp"] = old?["metadata"]?["creationTimestamp"]?.DeepClone() ?? ManagedFields.Now(time);
        meta.Remove("resourceVersion");
        if (old?["metadata"]?["resourceVersion"] is JsonNode rv)
        {
            meta["resourceVersion"] = rv.DeepClone();
        }

        meta.Remove("generation");
        if (type.TracksGeneration)
        {
            var oldGeneration = (long?)old?["metadata"]?["generation"] ?? 0;
            meta["generation"] = old is null ? 1 : SpecChanged(old, candidate) ? oldGeneration + 1 : oldGeneration;
        }
        if (type == CrdType)
        {
            MarkEstablished(candidate);
        }

        if (type == NamespaceType && old is null)
        {
            // What the namespace strategy sets on create (the namespace controller's finalizer, and phase Active).
            candidate["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") };
            candidate["status"] = new JsonObject { ["phase"] = "Active" };
        }

        Admission.Mutate(type, candidate, old);
        Validate(type, name, candidate, options);
        Admission.Validate(type, candidate, old);
        if (old is not null && SameButManagedFieldTimes(old, candidate))
        {
            return old;
        }

        if (options.DryRun)
        {
            return candidate;
        }

        return store.Put(type, ns, name, candidate);
    }

    private void Validate(ResourceType type, string name, JsonObject candidate, WriteOptions options)
    {
        if (schemas.SchemaSource(type.Gvk) is null)
        {
            // A CRD that is not in the reference: its own schema is not enforced (see README).
            return;
        }

        var errors = schemas.Validate(candidate);
        if (errors.Count == 0)
        {
            return;
        }

        var unknown = errors.Where(e => e.Message.StartsWith("unknown field", StringComparison.Ordinal)).ToList();
        if (unknown.Count > 0 && options.FieldValidation is "Ignore" or "Warn")
        {
            // Dropped, as the real server's decoder drops them; managed fields that named them go too.
            foreach (var error in unknown.OrderByDescending(e => e.Pointer.Length))
            {
                RemoveAt(candidate, error.Pointer);
                if (options.FieldValidation == "Warn")
                {
                    options.Warnings.Add($"unknown field \"{FieldName(error.Pointer)}\"");
                }
            }

            var trackable = ManagedFields.Trackable(candidate, type.HasStatus, null);
            var status = ManagedFields.Trackable(candidate, type.HasStatus, "status");
            var entries = ManagedFields.Read(candidate);
            foreach (var entry in entries)
            {
                foreach (var path in entry.Fields.Members().ToList())
                {
                    if (!FieldPaths.TryGet(entry.Subresource == "status" ? status : trackable, path, out _))
                    {
                        entry.Fields.Remove(path, withChildren: true);
                    }
                }
            }

            ManagedFields.Write(candidate, entries);
            Validate(type, name, candidate, options with { FieldValidation = "Strict" });
            return;
        }

        if (unknown.Count > 0)
        {
            // What a server with fieldValidation=Strict (kubectl's default) answers for unknown fields.
            var fields = unknown.Select(e => $"unknown field \"{FieldName(e.Pointer)}\"");
            throw ApiError.BadRequest("strict decoding error: " + string.Join(", ", fields));
        }

        var builtIn = !schemas.SchemaSource(type.Gvk)!.StartsWith("CRD ", StringComparison.Ordinal);
        var wrongType = errors.Select(e => (Error: e, Match: WrongType().Match(e.Message))).FirstOrDefault(x => x.Match.Success);
        if (builtIn && wrongType.Error is not null)
        {
            // A built-in kind is decoded into Go structs first, so a wrong type is a decoding error (400), not a 422.
            // Simplified: the Go struct and type names are approximated by the kind and the JSON type.
            throw ApiError.BadRequest(
                $"{type.Kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: json: cannot unmarshal " +
                $"{wrongType.Match.Groups["actual"].Value} into Go struct field {type.Kind}.{FieldName(wrongType.Error.Pointer)} of type {wrongType.Match.Groups["expected"].Value}");
        }

        throw ApiError.Invalid(type.QualifiedKind, type.Group, type.Kind, name, errors.SelectMany(Causes).ToList());
    }

    /// <summary>An error as the causes the API server lists: required fields one by one, wrong types as TypeInvalid.</summary>
    private static IEnumerable<(string Field, string Reason, string Message)> Causes(SchemaError error)
    {
        var field = FieldName(error.Pointer);
        var required = RequiredFields().Match(error.Message);
        if (required.Success)
        {
            foreach (var missing in required.Groups["names"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                yield return ((field.Length == 0 ? "" : field + ".") + missing.Trim('"'), "FieldValueRequired", "Required value");
            }

            yield break;
        }

        var wrongType = WrongType().Match(error.Message);
        if (wrongType.Success)
        {
            var actual = wrongType.Groups["actual"].Value;
            yield return (field, "FieldValueTypeInvalid",
                $"Invalid value: \"{actual}\": {field} in body must be of type {wrongType.Groups["expected"].Value}: \"{actual}\"");
            yield break;
        }

        yield return (field, "FieldValueInvalid", "Invalid value: " + error.Message);
    }

    [System.Text.RegularExpressions.GeneratedRegex("^Value is \"(?<actual>[a-z]+)\" but should be \"(?<expected>[a-z]+)\"")]
    private static partial System.Text.RegularExpressions.Regex WrongType();

    [System.Text.RegularExpressions.GeneratedRegex("^Required properties \\[(?<names>[^\\]]*)\\] are not present")]
    private static partial System.Text.RegularExpressions.Regex RequiredFields();

    private static void RemoveAt(JsonObject root, string pointer)
    {
        var segments = pointer.Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Select(x => x.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
        JsonNode? node = root;
        foreach (var segment in segments[..^1])
        {
            node = node switch
            {
                JsonObject o => o[segment],
                JsonArray a when int.TryParse(segment, out var i) && i < a.Count => a[i],
                _ => null,
            };
        }

        (node as JsonObject)?.Remove(segments[^1]);
    }

    /// <summary><c>/spec/template/spec/containers/0/name</c> as <c>spec.template.spec.containers[0].name</c>.</summary>
    private static string FieldName(string pointer)
    {
        var text = new System.Text.StringBuilder();
        foreach (var segment in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (int.TryParse(name, out _))
            {
                text.Append('[').Append(name).Append(']');
            }
            else
            {
                text.Append(text.Length == 0 ? "" : ".").Append(name);
            }
        }

        return text.ToString();
    }

    private static bool SpecChanged(JsonObject old, JsonObject candidate)
    {
        static JsonObject Spec(JsonObject obj)
        {
            var copy = (JsonObject)obj.DeepClone();
            copy.Remove("metadata");
            copy.Remove("status");
            return copy;
        }

        return !JsonNode.DeepEquals(Spec(old), Spec(candidate));
    }

    /// <summary>
    /// What the apiextensions controller writes once a CRD's names are accepted. Simplified: at once, in the same write,
    /// and always accepted (no name conflicts are checked).
    /// </summary>
    private void MarkEstablished(JsonObject crd)
    {
        var now = ManagedFields.Now(time);
        var conditions = new JsonArray(
            new JsonObject { ["type"] = "NamesAccepted", ["status"] = "True", ["lastTransitionTime"] = now, ["reason"] = "NoConflicts", ["message"] = "no conflicts found" },
            new JsonObject { ["type"] = "Established", ["status"] = "True", ["lastTransitionTime"] = now, ["reason"] = "InitialNamesAccepted", ["message"] = "the initial names have been accepted" });
        if (crd["status"]?["conditions"] is JsonArray existing && existing.Count == 2)
        {
            conditions = (JsonArray)existing.DeepClone();
        }

        var versions = new JsonArray();
        foreach (var v in crd["spec"]?["versions"] as JsonArray ?? [])
        {
            if ((bool?)v?["storage"] == true)
            {
                versions.Add((string?)v["name"]);
            }
        }

        crd["status"] = new JsonObject
        {
            ["conditions"] = conditions,
            ["acceptedNames"] = crd["spec"]?["names"]?.DeepClone(),
            ["storedVersions"] = versions,
        };
    }

    private static JsonObject StripStatusOnCreate(ResourceType type, JsonObject obj)
    {
        if (type.HasStatus && obj.ContainsKey("status"))
        {
            obj = (JsonObject)obj.DeepClone();
            obj.Remove("status");
        }

        return obj;
    }

    /// <summary>Puts trackable content (see <see cref="ManagedFields.Trackable"/>) back into a whole object.</summary>
    private static void WithContent(JsonObject target, JsonObject content, bool hasStatusSubresource, string? subresource)
    {
        foreach (var key in target.Select(p => p.Key).ToList())
        {
            var trackable = key is not ("apiVersion" or "kind" or "metadata")
                && !(hasStatusSubresource && (subresource == "status") != (key == "status"));
            if (trackable)
            {
                target.Remove(key);
            }
        }

        var meta = (JsonObject)target["metadata"]!;
        var metadataTracked = !(hasStatusSubresource && subresource == "status");
        foreach (var name in metadataTracked ? new[] { "labels", "annotations", "finalizers", "ownerReferences" } : [])
        {
            meta.Remove(name);
            if (content["metadata"]?[name] is JsonNode value)
            {
                meta[name] = value.DeepClone();
            }
        }

        foreach (var (key, value) in content)
        {
            if (key != "metadata")
            {
                target[key] = value?.DeepClone();
            }
        }
    }

    private ManagedEntry Entry(string manager, string operation, ResourceType type, string? subresource) =>
        new(manager, operation, type.ApiVersion, subresource, ManagedFields.Now(time), new FieldSet());

    private SchemaCursor? Root(ResourceType type) => schemas.Root(type.Gvk);

    private static void CheckIdentity(ResourceType type, string? ns, string name, JsonObject body)
    {
        if (body["metadata"] is not JsonObject meta)
        {
            body["metadata"] = meta = new JsonObject();
        }

        var bodyName = (string?)meta["name"];
        if (bodyName is not null && bodyName != name)
        {
            throw ApiError.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        var bodyNamespace = (string?)meta["namespace"];
        if (type.Namespaced && bodyNamespace is { Length: > 0 } && bodyNamespace != ns)
        {
            throw ApiError.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
    }

    private static void CheckPrecondition(ResourceType type, string name, JsonObject old, JsonObject body)
    {
        if ((string?)body["metadata"]?["resourceVersion"] is { Length: > 0 } wanted && wanted != (string?)old["metadata"]?["resourceVersion"])
        {
            throw ApiError.StaleResourceVersion(type, name);
        }
    }

    /// <summary>
    /// Whether a write changes nothing but the time of a managedFields entry: the real server keeps the object (and its
    /// resourceVersion) then, so an unchanged apply that crosses a second boundary must not look like a change.
    /// </summary>
    private static bool SameButManagedFieldTimes(JsonObject old, JsonObject candidate)
    {
        static JsonNode WithoutTimes(JsonObject obj)
        {
            var copy = obj.DeepClone();
            foreach (var entry in (copy["metadata"]?["managedFields"] as JsonArray ?? []).OfType<JsonObject>())
            {
                entry.Remove("time");
            }

            return copy;
        }

        return JsonNode.DeepEquals(WithoutTimes(old), WithoutTimes(candidate));
    }
}
