using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using LocalTls.Tests.TestSupport.Schemas;

namespace LocalTls.Tests.Schemas;

/// <summary>
/// The schema harness on built-in kinds: valid KubernetesClient objects pass; each kind of mistake the API server
/// would refuse is reported at its JSON pointer.
/// </summary>
public class BuiltInKindSchemaTests
{
    private static KubernetesSchemas Schemas => KubernetesSchemas.Shared;

    /// <summary>An object's wire form as a JsonNode, to be broken on purpose.</summary>
    private static JsonObject Wire(object obj) => JsonNode.Parse(KubernetesJson.Serialize(obj))!.AsObject();

    [Theory]
    [InlineData("Namespace")]
    [InlineData("Secret")]
    [InlineData("ConfigMap")]
    [InlineData("Service")]
    [InlineData("Deployment")]
    [InlineData("PersistentVolumeClaim")]
    [InlineData("Ingress")]
    public void Valid_KubernetesClient_object_has_no_errors(string kind)
    {
        SchemaAssert.NoErrors(Schemas.Validate(SampleObjects.ByKind(kind)));
    }

    [Fact]
    public void Same_objects_pass_as_JsonNode_and_as_YAML()
    {
        var secret = Wire(SampleObjects.Secret());
        SchemaAssert.NoErrors(Schemas.Validate(secret));
        SchemaAssert.NoErrors(Schemas.Validate(secret.ToJsonString()));
        SchemaAssert.NoErrors(Schemas.Validate(KubernetesYaml.Serialize(SampleObjects.Deployment())));
    }

    [Fact]
    public void Misspelt_top_level_field_is_an_unknown_field()
    {
        var secret = Wire(SampleObjects.Secret());
        secret["strngData"] = new JsonObject { ["user"] = "admin" };

        var error = SchemaAssert.HasError(Schemas.Validate(secret), "/strngData", "unknown field");
        Assert.Contains("io.k8s.api.core.v1.Secret", error.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean \"stringData\"", error.Message, StringComparison.Ordinal);
        Assert.Equal("Secret/step-ca-root", error.Subject);
    }

    [Fact]
    public void Unknown_field_in_metadata_is_caught_through_the_allOf_ref_wrapper()
    {
        // Secret.metadata is {"allOf":[{"$ref":"…ObjectMeta"}],"default":{}}: the wrapper stays open, ObjectMeta is closed.
        var secret = Wire(SampleObjects.Secret());
        secret["metadata"]!["labelz"] = new JsonObject { ["a"] = "b" };

        SchemaAssert.HasError(Schemas.Validate(secret), "/metadata/labelz", "did you mean \"labels\"");
    }

    [Fact]
    public void Unknown_field_deep_in_a_pod_template_is_caught()
    {
        var deployment = Wire(SampleObjects.Deployment());
        deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["imagePullPolcy"] = "Always";

        SchemaAssert.HasError(Schemas.Validate(deployment), "/spec/template/spec/containers/0/imagePullPolcy", "io.k8s.api.core.v1.Container");
    }

    [Fact]
    public void Replicas_as_a_string_is_a_type_error()
    {
        var deployment = Wire(SampleObjects.Deployment());
        deployment["spec"]!["replicas"] = "two";

        SchemaAssert.HasError(Schemas.Validate(deployment), "/spec/replicas", "should be \"integer\"");
    }

    [Fact]
    public void Service_port_as_a_string_is_a_type_error_but_targetPort_may_be_either()
    {
        var service = Wire(SampleObjects.Service());
        service["spec"]!["ports"]![0]!["port"] = "9000";

        var errors = Schemas.Validate(service);
        SchemaAssert.HasError(errors, "/spec/ports/0/port", "should be \"integer\"");
        Assert.Single(errors); // ports[0].targetPort 9000 and ports[1].targetPort "https" are both fine
    }

    [Fact]
    public void TargetPort_that_is_neither_int_nor_string_is_an_error()
    {
        var service = Wire(SampleObjects.Service());
        service["spec"]!["ports"]![0]!["targetPort"] = true;

        SchemaAssert.HasError(Schemas.Validate(service), "/spec/ports/0/targetPort", "should be \"integer\" or \"string\"");
    }

    [Fact]
    public void Integer_fields_must_be_whole_and_in_range()
    {
        var deployment = Wire(SampleObjects.Deployment());
        var port = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["ports"]![0]!;
        port["containerPort"] = 4294967296;
        port["hostPort"] = JsonNode.Parse("80.0"); // Go refuses 80.0 for an int32 field; JSON Schema alone calls it an integer

        var errors = Schemas.Validate(deployment);
        SchemaAssert.HasError(errors, "/spec/template/spec/containers/0/ports/0/containerPort", "out of range");
        SchemaAssert.HasError(errors, "/spec/template/spec/containers/0/ports/0/hostPort", "whole number");
    }

    [Fact]
    public void Secret_data_must_be_base64()
    {
        var secret = Wire(SampleObjects.Secret());
        secret["data"]!["tls.key"] = "not base64!";

        SchemaAssert.HasError(Schemas.Validate(secret), "/data/tls.key", "base64");
    }

    [Fact]
    public void Resource_quantity_may_be_a_string_or_a_number()
    {
        var pvc = Wire(SampleObjects.PersistentVolumeClaim());
        pvc["spec"]!["resources"]!["requests"]!["storage"] = 1073741824;
        SchemaAssert.NoErrors(Schemas.Validate(pvc));

        pvc["spec"]!["resources"]!["requests"]!["storage"] = new JsonArray("1Gi");
        SchemaAssert.HasError(Schemas.Validate(pvc), "/spec/resources/requests/storage");
    }

    [Fact]
    public void Missing_required_field_is_reported()
    {
        var deployment = Wire(SampleObjects.Deployment());
        deployment["spec"]!.AsObject().Remove("selector");

        SchemaAssert.HasError(Schemas.Validate(deployment), "/spec", "selector");
    }

    [Fact]
    public void Bad_metadata_name_is_reported()
    {
        var configMap = SampleObjects.ConfigMap();
        configMap.Metadata.Name = "My_App";

        SchemaAssert.HasError(Schemas.Validate(configMap), "/metadata/name", "DNS-1123 subdomain");
    }

    [Theory]
    [InlineData("Namespace", "step.ca", "DNS-1123 label")]
    [InlineData("Service", "9000-ca", "DNS-1035 label")]
    [InlineData("Secret", "-leading-dash", "DNS-1123 subdomain")]
    public void Kinds_with_stricter_name_rules_apply_them(string kind, string name, string rule)
    {
        var obj = Wire(SampleObjects.ByKind(kind));
        obj["metadata"]!["name"] = name;

        SchemaAssert.HasError(Schemas.Validate(obj), "/metadata/name", rule);
    }

    [Fact]
    public void Long_dotted_names_are_fine_where_a_subdomain_is_allowed()
    {
        var secret = SampleObjects.Secret();
        secret.Metadata.Name = "web.127-0-0-1.sslip.io-tls";

        SchemaAssert.NoErrors(Schemas.Validate(secret));
    }

    [Fact]
    public void Bad_label_key_and_value_are_reported()
    {
        var ns = SampleObjects.Namespace();
        ns.Metadata.Labels["bad key"] = "ok";
        ns.Metadata.Labels["app"] = "has/slash";

        var errors = Schemas.Validate(ns);
        SchemaAssert.HasError(errors, "/metadata/labels/bad key", "label key");
        SchemaAssert.HasError(errors, "/metadata/labels/app", "label value");
    }

    [Fact]
    public void Object_without_apiVersion_and_kind_is_an_error_not_a_pass()
    {
        var secret = SampleObjects.Secret();
        secret.ApiVersion = null;
        secret.Kind = null;

        SchemaAssert.HasError(Schemas.Validate(secret), "/apiVersion", "apiVersion and kind are required");
    }

    [Theory]
    [InlineData("example.com/v1", "Widget", "no schema at all")]
    [InlineData("v1", "Widget", "kinds of v1: ")]
    [InlineData("apps/v2", "Deployment", "Deployment is known as apiVersion apps/v1")]
    [InlineData("extensions/v1beta1", "Ingress", "networking.k8s.io/v1")]
    public void Unknown_apiVersion_or_kind_is_an_error_not_a_pass(string apiVersion, string kind, string hint)
    {
        var obj = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind, ["metadata"] = new JsonObject { ["name"] = "x" } };

        var error = SchemaAssert.HasError(Schemas.Validate(obj), "", "no schema for");
        Assert.Contains(hint, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_members_count_as_absent_like_the_API_server_decodes_them()
    {
        var secret = Wire(SampleObjects.Secret());
        secret["metadata"]!["annotations"] = null;
        secret["immutable"] = null;

        SchemaAssert.NoErrors(Schemas.Validate(secret));
    }

    [Fact]
    public void Multi_document_YAML_reports_each_document_by_number()
    {
        var yaml = $"""
            {KubernetesYaml.Serialize(SampleObjects.Namespace())}
            ---
            apiVersion: v1
            kind: Secret
            metadata:
              name: step-ca-password
              namespace: step-ca
            stringData:
              password: "hunter2"
            strngData:
              oops: "1"
            ---
            """;

        var errors = Schemas.Validate(yaml);
        var error = Assert.Single(errors);
        Assert.Equal("#2 Secret/step-ca-password", error.Subject);
        Assert.Equal("/strngData", error.Pointer);
    }

    [Fact]
    public void YAML_scalars_are_typed_as_kubectl_types_them()
    {
        // replicas: "2" (quoted) is a string, which the API server refuses; replicas: 2 is a number.
        const string template = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {{name: web}}
            spec:
              replicas: {0}
              selector: {{matchLabels: {{app: web}}}}
              template:
                metadata: {{labels: {{app: web}}}}
                spec:
                  containers: [{{name: web, image: nginx}}]
            """;

        SchemaAssert.NoErrors(Schemas.Validate(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, "2")));
        SchemaAssert.HasError(Schemas.Validate(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, "\"2\"")), "/spec/replicas");
    }

    [Fact]
    public void Validation_is_safe_to_run_in_parallel()
    {
        var broken = Wire(SampleObjects.Deployment());
        broken["spec"]!["replicas"] = "two";
        var inputs = Enumerable.Range(0, 64).Select(i => i % 2 == 0 ? (object)SampleObjects.Deployment() : broken.DeepClone()).ToArray();

        var counts = new int[inputs.Length];
        Parallel.For(0, inputs.Length, i => counts[i] = Schemas.Validate(inputs[i]).Count);

        Assert.All(counts.Where((_, i) => i % 2 == 0), c => Assert.Equal(0, c));
        Assert.All(counts.Where((_, i) => i % 2 == 1), c => Assert.Equal(1, c));
    }

    [Fact]
    public void AssertValid_fails_with_every_error_listed()
    {
        var deployment = Wire(SampleObjects.Deployment());
        deployment["spec"]!["replicas"] = "two";
        deployment["spec"]!["paused"] = "no";

        var failure = Assert.ThrowsAny<Exception>(() => Schemas.AssertValid(deployment));
        Assert.Contains("2 schema error(s)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("/spec/replicas", failure.Message, StringComparison.Ordinal);
        Assert.Contains("/spec/paused", failure.Message, StringComparison.Ordinal);
    }
}
