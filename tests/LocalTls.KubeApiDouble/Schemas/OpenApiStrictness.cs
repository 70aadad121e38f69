using System.Text.Json.Nodes;

namespace LocalTls.KubeApiDouble.Schemas;

/// <summary>
/// Rewrites OpenAPI 3.0 / Kubernetes structural schemas (as <see cref="JsonNode"/>, in place) into JSON Schema 2020-12
/// that judges an object the way the API server does with strict field validation.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Closed objects. OpenAPI objects are open, but the API server (server-side apply, <c>kubectl --validate=strict</c>)
/// rejects unknown fields. Every schema with <c>properties</c>, no <c>additionalProperties</c> and no
/// <c>x-kubernetes-preserve-unknown-fields: true</c> gets <c>additionalProperties: false</c>. Where such a schema also has
/// <c>allOf</c>/<c>anyOf</c>/<c>oneOf</c>/<c>$ref</c>, or its branches declare properties, it gets
/// <c>unevaluatedProperties: false</c> instead, so properties declared by those subschemas still count. The branches
/// themselves and <c>not</c> subschemas are never closed: they only add constraints to their parent's object. The
/// Kubernetes documents' field wrappers (<c>{"allOf":[{"$ref":…}],"default":…}</c>) have no <c>properties</c> of their
/// own and are left open: the referenced component is closed instead. (A closed component reached through
/// <c>$ref</c> from a schema that adds properties of its own would wrongly refuse them; the reference documents
/// have no such schema.)</item>
/// <item>In CRD schemas (<paramref name="crd"/>), an object with neither <c>properties</c> nor <c>additionalProperties</c>
/// nor <c>x-kubernetes-preserve-unknown-fields</c> is also closed: the API server prunes every field of such an object,
/// which strict validation reports as unknown. Built-in documents keep theirs open (RawExtension, FieldsV1 are
/// free-form by design).</item>
/// <item><c>nullable: true</c> (OpenAPI 3.0) becomes a JSON Schema that also admits null.</item>
/// <item><c>x-kubernetes-int-or-string: true</c> and <c>format: int-or-string</c> admit an integer or a string, whatever
/// <c>type</c> says.</item>
/// </list>
/// CRD <c>x-kubernetes-validations</c> (CEL rules) are not evaluated: no CEL interpreter is used here, so those rules
/// (e.g. ClusterIssuer's "exactly one of tpp, cloud, or ngts") are only checked by a real API server.
/// </remarks>
internal static class OpenApiStrictness
{
    private static readonly string[] Combinators = ["allOf", "anyOf", "oneOf"];

    /// <summary>Rewrites one schema and all its subschemas. Returns the schema to use in its place.</summary>
    public static JsonNode Apply(JsonNode schema, bool crd) => Apply(schema, crd, fragment: false);

    /// <param name="fragment">
    /// True for a branch of allOf/anyOf/oneOf or the subschema of not: such a schema only adds constraints to the
    /// object its parent describes, so it is never closed itself (a closed allOf branch would refuse the parent's other
    /// properties, a closed not would turn around). The parent is closed instead, with unevaluatedProperties, which
    /// counts the properties its branches declare.
    /// </param>
    private static JsonNode Apply(JsonNode schema, bool crd, bool fragment)
    {
        if (schema is not JsonObject obj)
        {
            return schema;
        }

        foreach (var name in new[] { "properties", "patternProperties" })
        {
            if (obj[name] is JsonObject properties)
            {
                foreach (var key in properties.Select(p => p.Key).ToList())
                {
                    ApplyAt(properties, key, crd, fragment: false);
                }
            }
        }

        foreach (var name in new[] { "additionalProperties", "unevaluatedProperties" })
        {
            ApplyAt(obj, name, crd, fragment: false);
        }

        ApplyAt(obj, "not", crd, fragment: true);

        switch (obj["items"])
        {
            case JsonObject:
                ApplyAt(obj, "items", crd, fragment: false);
                break;
            case JsonArray tuple:
                ApplyAll(tuple, crd, fragment: false);
                break;
        }

        foreach (var name in Combinators)
        {
            if (obj[name] is JsonArray branches)
            {
                ApplyAll(branches, crd, fragment: true);
            }
        }

        IntOrString(obj);
        if (!fragment)
        {
            Close(obj, crd);
        }

        return Nullable(obj);
    }

    private static void ApplyAt(JsonObject parent, string key, bool crd, bool fragment)
    {
        if (parent[key] is JsonObject child)
        {
            var replaced = Apply(child, crd, fragment);
            if (!ReferenceEquals(replaced, child))
            {
                parent[key] = replaced;
            }
        }
    }

    private static void ApplyAll(JsonArray array, bool crd, bool fragment)
    {
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is JsonObject item)
            {
                var replaced = Apply(item, crd, fragment);
                if (!ReferenceEquals(replaced, item))
                {
                    array[i] = replaced;
                }
            }
        }
    }

    private static bool IsTrue(JsonObject obj, string name) => obj[name] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static void IntOrString(JsonObject obj)
    {
        var format = obj["format"] is JsonValue f && f.TryGetValue<string>(out var s) ? s : null;
        if (!IsTrue(obj, "x-kubernetes-int-or-string") && format != "int-or-string")
        {
            return;
        }

        // Older documents say {"type":"string","format":"int-or-string"}; the wire form may be either.
        obj.Remove("type");
        if (!Combinators.Any(obj.ContainsKey))
        {
            obj["anyOf"] = new JsonArray(new JsonObject { ["type"] = "integer" }, new JsonObject { ["type"] = "string" });
        }
    }

    private static void Close(JsonObject obj, bool crd)
    {
        if (obj.ContainsKey("additionalProperties") || obj.ContainsKey("unevaluatedProperties") || IsTrue(obj, "x-kubernetes-preserve-unknown-fields"))
        {
            return;
        }

        var hasProperties = obj.ContainsKey("properties") || BranchesDeclareProperties(obj);
        var emptyCrdObject = crd && !hasProperties && obj["type"] is JsonValue t && t.TryGetValue<string>(out var type) && type == "object"
            && !obj.ContainsKey("patternProperties") && !IsTrue(obj, "x-kubernetes-embedded-resource");
        if (!hasProperties && !emptyCrdObject)
        {
            return;
        }

        var composed = Combinators.Any(obj.ContainsKey) || obj.ContainsKey("$ref");
        obj[composed ? "unevaluatedProperties" : "additionalProperties"] = false;
    }

    private static bool BranchesDeclareProperties(JsonObject obj) =>
        Combinators.Any(name => obj[name] is JsonArray branches && branches.OfType<JsonObject>().Any(
            b => b.ContainsKey("properties") || b.ContainsKey("patternProperties") || BranchesDeclareProperties(b)));

    private static JsonNode Nullable(JsonObject obj)
    {
        if (!IsTrue(obj, "nullable"))
        {
            return obj;
        }

        obj.Remove("nullable");
        if (obj["type"] is JsonValue t && t.TryGetValue<string>(out var type))
        {
            obj["type"] = new JsonArray(type, "null");
            if (obj["enum"] is JsonArray values && !values.Any(v => v is null))
            {
                values.Add(null);
            }

            return obj;
        }

        // No single type to widen (e.g. an allOf/$ref wrapper): admit null beside the whole schema.
        var description = obj["description"]?.DeepClone();
        var wrapper = new JsonObject { ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "null" }, obj.DeepClone()) };
        if (description is not null)
        {
            wrapper["description"] = description;
        }

        return wrapper;
    }
}
