using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using LocalTls.Tests.TestSupport.Schemas;

namespace LocalTls.Tests.Schemas;

/// <summary>
/// The OpenAPI-to-strict-JSON-Schema rewrite on small hand-written schemas, judged by JsonSchema.Net.
/// Needs no reference files, so it always runs.
/// </summary>
public class OpenApiStrictnessTests
{
    private static bool IsValid(string schema, string instance, bool crd = false, string? defs = null)
    {
        var root = OpenApiStrictness.Apply(JsonNode.Parse(schema)!, crd);
        if (defs is not null)
        {
            var components = JsonNode.Parse(defs)!.AsObject();
            foreach (var name in components.Select(p => p.Key).ToList())
            {
                components[name] = OpenApiStrictness.Apply(components[name]!.DeepClone(), crd);
            }

            root = new JsonObject { ["allOf"] = new JsonArray(root), ["components"] = new JsonObject { ["schemas"] = components } };
        }

        var options = new BuildOptions { Dialect = Dialect.Draft202012 };
        var built = JsonSchema.Build(JsonSerializer.SerializeToElement(root), options, new Uri($"https://localtls.invalid/test/{Guid.NewGuid():N}"));
        return built.Evaluate(JsonDocument.Parse(instance).RootElement).IsValid;
    }

    [Fact]
    public void Object_with_properties_becomes_closed()
    {
        const string schema = """{"type":"object","properties":{"name":{"type":"string"}}}""";
        Assert.True(IsValid(schema, """{"name":"x"}"""));
        Assert.False(IsValid(schema, """{"name":"x","nmae":"y"}"""));
    }

    [Fact]
    public void Nested_objects_become_closed_too()
    {
        const string schema = """{"type":"object","properties":{"spec":{"type":"object","properties":{"a":{"type":"integer"}}},"list":{"type":"array","items":{"type":"object","properties":{"b":{}}}}}}""";
        Assert.True(IsValid(schema, """{"spec":{"a":1},"list":[{"b":true}]}"""));
        Assert.False(IsValid(schema, """{"spec":{"a":1,"c":2}}"""));
        Assert.False(IsValid(schema, """{"list":[{"b":1},{"c":1}]}"""));
    }

    [Fact]
    public void Maps_with_additionalProperties_stay_maps()
    {
        const string schema = """{"type":"object","properties":{"labels":{"type":"object","additionalProperties":{"type":"string"}}}}""";
        Assert.True(IsValid(schema, """{"labels":{"any":"thing","else":"too"}}"""));
        Assert.False(IsValid(schema, """{"labels":{"n":1}}"""));
    }

    [Fact]
    public void Preserve_unknown_fields_stays_open_but_its_own_properties_are_typed()
    {
        const string schema = """{"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{"known":{"type":"string"}}}""";
        Assert.True(IsValid(schema, """{"known":"x","extra":{"deep":[1]}}"""));
        Assert.False(IsValid(schema, """{"known":1}"""));
    }

    [Fact]
    public void AllOf_ref_field_wrapper_keeps_working_and_the_target_is_closed()
    {
        // The Kubernetes v3 documents wrap every struct-typed field like this.
        const string schema = """{"type":"object","properties":{"metadata":{"allOf":[{"$ref":"#/components/schemas/Meta"}],"default":{}}}}""";
        const string defs = """{"Meta":{"type":"object","properties":{"name":{"type":"string"}}}}""";
        Assert.True(IsValid(schema, """{"metadata":{"name":"x"}}""", defs: defs));
        Assert.True(IsValid(schema, """{"metadata":{}}""", defs: defs));
        Assert.False(IsValid(schema, """{"metadata":{"nme":"x"}}""", defs: defs));
        Assert.False(IsValid(schema, """{"metadata":{"name":1}}""", defs: defs));
    }

    [Fact]
    public void Properties_beside_allOf_are_closed_with_unevaluatedProperties_so_the_allOf_properties_still_count()
    {
        const string schema = """{"type":"object","properties":{"a":{}},"allOf":[{"properties":{"b":{}}}]}""";
        var rewritten = OpenApiStrictness.Apply(JsonNode.Parse(schema)!, crd: false);
        Assert.Equal(false, (bool?)rewritten["unevaluatedProperties"]);
        Assert.Null(rewritten["additionalProperties"]);

        Assert.True(IsValid(schema, """{"a":1,"b":2}"""));
        Assert.False(IsValid(schema, """{"a":1,"c":2}"""));
    }

    [Fact]
    public void AnyOf_alternatives_with_their_own_properties_close_the_parent_not_the_branches()
    {
        const string schema = """{"type":"object","anyOf":[{"properties":{"a":{"type":"string"}},"required":["a"]},{"properties":{"b":{}},"required":["b"]}]}""";
        Assert.True(IsValid(schema, """{"a":"x"}"""));
        Assert.True(IsValid(schema, """{"b":1}"""));
        Assert.False(IsValid(schema, """{"a":"x","c":1}"""));
    }

    [Fact]
    public void Not_subschema_is_never_closed()
    {
        // Closing "not" would turn it around: {"not":{"properties":{"a":{}},"required":["a"]}} forbids only "a".
        const string schema = """{"type":"object","properties":{"a":{},"b":{}},"not":{"properties":{"a":{}},"required":["a"]}}""";
        Assert.True(IsValid(schema, """{"b":1}"""));
        Assert.False(IsValid(schema, """{"a":1}"""));
        Assert.False(IsValid(schema, """{"b":1,"c":1}"""));
    }

    [Fact]
    public void Int_or_string_accepts_both_whatever_type_says()
    {
        Assert.True(IsValid("""{"x-kubernetes-int-or-string":true}""", "8080"));
        Assert.True(IsValid("""{"x-kubernetes-int-or-string":true}""", "\"http\""));
        Assert.False(IsValid("""{"x-kubernetes-int-or-string":true}""", "true"));

        // Older documents: {"type":"string","format":"int-or-string"}.
        Assert.True(IsValid("""{"type":"string","format":"int-or-string"}""", "8080"));
        Assert.False(IsValid("""{"type":"string","format":"int-or-string"}""", "{}"));
    }

    [Fact]
    public void Nullable_admits_null()
    {
        Assert.False(IsValid("""{"type":"string"}""", "null"));
        Assert.True(IsValid("""{"type":"string","nullable":true}""", "null"));
        Assert.True(IsValid("""{"type":"string","enum":["a"],"nullable":true}""", "null"));
        Assert.False(IsValid("""{"type":"string","enum":["a"],"nullable":true}""", "\"b\""));

        const string defs = """{"Meta":{"type":"object","properties":{"name":{"type":"string"}}}}""";
        const string wrapped = """{"type":"object","properties":{"m":{"allOf":[{"$ref":"#/components/schemas/Meta"}],"nullable":true}}}""";
        Assert.True(IsValid(wrapped, """{"m":null}""", defs: defs));
        Assert.True(IsValid(wrapped, """{"m":{"name":"x"}}""", defs: defs));
        Assert.False(IsValid(wrapped, """{"m":{"nope":"x"}}""", defs: defs));
    }

    [Fact]
    public void Empty_CRD_object_is_closed_but_a_built_in_free_form_object_is_not()
    {
        // A CRD's {type: object} with no properties keeps no fields (the API server prunes them);
        // a built-in {type: object} such as RawExtension is free-form.
        const string schema = """{"type":"object","properties":{"o":{"type":"object"}}}""";
        Assert.False(IsValid(schema, """{"o":{"a":1}}""", crd: true));
        Assert.True(IsValid(schema, """{"o":{}}""", crd: true));
        Assert.True(IsValid(schema, """{"o":{"a":1}}""", crd: false));
    }
}
