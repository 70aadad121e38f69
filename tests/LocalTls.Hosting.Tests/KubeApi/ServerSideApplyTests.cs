using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace LocalTls.Tests.KubeApi;

/// <summary>Server-side apply: field managers, conflicts, removal of fields no longer applied, idempotency.</summary>
public class ServerSideApplyTests
{
    private const string ApplyType = "application/apply-patch+yaml";
    private const string DeploymentPath = "/apis/apps/v1/namespaces/default/deployments/web";
    private const string ConfigMapPath = "/api/v1/namespaces/default/configmaps/c";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static JsonObject Managed(JsonObject obj, string manager) =>
        (JsonObject)obj["metadata"]!["managedFields"]!.AsArray().Single(e => (string?)e!["manager"] == manager)!;

    [Fact]
    public async Task Apply_without_a_field_manager_is_refused_as_the_real_server_refuses_it()
    {
        await using var server = await DoubleClient.StartAsync();
        var (code, status) = await server.SendAsync("PATCH", ConfigMapPath, DoubleClient.ConfigMap("c"), ApplyType);
        Assert.Equal((HttpStatusCode)422, code);
        Assert.Equal("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch", (string?)status["message"]);
        var expectedDetails = JsonNode.Parse("""
            {"group":"meta.k8s.io","kind":"PatchOptions","causes":[{"reason":"FieldValueRequired","message":"Required value: is required for apply patch","field":"fieldManager"}]}
            """);
        Assert.True(JsonNode.DeepEquals(expectedDetails, status["details"]), status["details"]!.ToJsonString());
        Assert.Equal(HttpStatusCode.NotFound, (await server.SendAsync("GET", ConfigMapPath)).Code);
    }

    [Fact]
    public async Task Force_on_a_patch_that_is_not_an_apply_is_refused()
    {
        await using var server = await DoubleClient.StartAsync();
        await server.SendAsync("POST", "/api/v1/namespaces/default/configmaps", DoubleClient.ConfigMap("c"));
        var (code, status) = await server.SendAsync("PATCH", ConfigMapPath + "?force=true", new JsonObject { ["data"] = new JsonObject { ["k"] = "v" } }, "application/merge-patch+json");
        Assert.Equal((HttpStatusCode)422, code);
        Assert.Equal("PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch", (string?)status["message"]);
    }

    [Fact]
    public async Task Apply_creates_the_object_and_records_its_fields_in_the_FieldsV1_format()
    {
        await using var server = await DoubleClient.StartAsync();
        var deployment = DoubleClient.Deployment("web");
        deployment["metadata"]!["labels"] = new JsonObject { ["app"] = "web" };
        var (code, created) = await server.SendAsync("PATCH", DeploymentPath + "?fieldManager=localtls", deployment, ApplyType);

        Assert.Equal(HttpStatusCode.Created, code);
        var entry = Managed(created, "localtls");
        Assert.Equal(("Apply", "apps/v1", "FieldsV1"), ((string?)entry["operation"], (string?)entry["apiVersion"], (string?)entry["fieldsType"]));
        var expected = JsonNode.Parse("""
            {"f:metadata":{"f:labels":{"f:app":{}}},
             "f:spec":{"f:replicas":{},"f:selector":{},
               "f:template":{"f:metadata":{"f:labels":{"f:app":{}}},
                 "f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:image":{},"f:name":{}}}}}}}
            """);
        Assert.True(JsonNode.DeepEquals(expected, entry["fieldsV1"]), entry["fieldsV1"]!.ToJsonString());
    }

    [Fact]
    public async Task A_create_records_an_Update_entry_where_new_maps_are_members_and_structs_are_not()
    {
        await using var server = await DoubleClient.StartAsync();
        var deployment = DoubleClient.Deployment("web");
        deployment["metadata"]!["labels"] = new JsonObject { ["app"] = "web" };
        var (_, created) = await server.SendAsync("POST", "/apis/apps/v1/namespaces/default/deployments?fieldManager=kubectl-create", deployment);

        var entry = Managed(created, "kubectl-create");
        Assert.Equal("Update", (string?)entry["operation"]);
        var expected = JsonNode.Parse("""
            {"f:metadata":{"f:labels":{".":{},"f:app":{}}},
             "f:spec":{"f:replicas":{},"f:selector":{},
               "f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},
                 "f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:image":{},"f:name":{}}}}}}}
            """);
        Assert.True(JsonNode.DeepEquals(expected, entry["fieldsV1"]), entry["fieldsV1"]!.ToJsonString());
    }

    [Fact]
    public async Task The_same_YAML_applied_again_moves_neither_resource_version_nor_generation()
    {
        await using var server = await DoubleClient.StartAsync();
        const string yaml = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              namespace: default
            spec:
              replicas: 2
              selector:
                matchLabels: {app: web}
              template:
                metadata:
                  labels: {app: web}
                spec:
                  containers:
                  - name: app
                    image: nginx:1.27
                    ports:
                    - containerPort: 80
            """;
        var (_, first) = await server.SendAsync("PATCH", DeploymentPath + "?fieldManager=localtls", yaml, ApplyType);
        var before = server.Store.ResourceVersion;
        var (code, second) = await server.SendAsync("PATCH", DeploymentPath + "?fieldManager=localtls", yaml, ApplyType);

        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(DoubleClient.Rv(first), DoubleClient.Rv(second));
        Assert.Equal(1, DoubleClient.Generation(second));
        Assert.Equal(before, server.Store.ResourceVersion);
        Assert.True(JsonNode.DeepEquals(first, second));

        var (_, changed) = await server.SendAsync("PATCH", DeploymentPath + "?fieldManager=localtls", yaml.Replace("replicas: 2", "replicas: 3"), ApplyType);
        Assert.Equal(2, DoubleClient.Generation(changed));
    }

    [Fact]
    public async Task KubernetesClient_apply_of_a_typed_object_is_idempotent_too()
    {
        await using var server = await DoubleClient.StartAsync();
        var client = server.CreateClient();
        var map = new V1ConfigMap { ApiVersion = "v1", Kind = "ConfigMap", Metadata = new V1ObjectMeta { Name = "c", NamespaceProperty = "default" }, Data = new Dictionary<string, string> { ["k"] = "v" } };
        var first = await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(map, V1Patch.PatchType.ApplyPatch), "c", "default", fieldManager: "localtls", cancellationToken: Ct);
        var second = await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(map, V1Patch.PatchType.ApplyPatch), "c", "default", fieldManager: "localtls", cancellationToken: Ct);
        Assert.Equal(first.Metadata.ResourceVersion, second.Metadata.ResourceVersion);
        Assert.Equal("Apply", Assert.Single(second.Metadata.ManagedFields).Operation);
    }

    [Fact]
    public async Task Changing_a_field_another_manager_applied_is_a_409_FieldManagerConflict_unless_forced()
    {
        await using var server = await DoubleClient.StartAsync();
        await server.SendAsync("PATCH", ConfigMapPath + "?fieldManager=first", DoubleClient.ConfigMap("c", data: new() { ["key"] = "one" }), ApplyType);

        var (code, status) = await server.SendAsync("PATCH", ConfigMapPath + "?fieldManager=second", DoubleClient.ConfigMap("c", data: new() { ["key"] = "two" }), ApplyType);
        Assert.Equal(HttpStatusCode.Conflict, code);
        Assert.Equal("Conflict", (string?)status["reason"]);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"first\": .data.key", (string?)status["message"]);
        var cause = Assert.Single(status["details"]!["causes"]!.AsArray())!;
        Assert.Equal(("FieldManagerConflict", "conflict with \"first\"", ".data.key"), ((string?)cause["reason"], (string?)cause["message"], (string?)cause["field"]));

        var (forcedCode, forced) = await server.SendAsync("PATCH", ConfigMapPath + "?fieldManager=second&force=true", DoubleClient.ConfigMap("c", data: new() { ["key"] = "two" }), ApplyType);
        Assert.Equal(HttpStatusCode.OK, forcedCode);
        Assert.Equal("two", (string?)forced["data"]!["key"]);
        Assert.DoesNotContain(forced["metadata"]!["managedFields"]!.AsArray(), e => (string?)e!["manager"] == "first");
    }

    [Fact]
    public async Task Applying_the_same_value_as_another_manager_shares_the_field_without_conflict()
    {
        await using var server = await DoubleClient.StartAsync();
        await server.SendAsync("PATCH", ConfigMapPath + "?fieldManager=first", DoubleClient.ConfigMap("c", data: new() { ["key"] = "same" }), ApplyType);
        var (code, shared) = await server.SendAsync("PATCH", ConfigMapPath + "?fieldManager=second", DoubleClient.ConfigMap("c", data: new() { ["key"] = "same" }), ApplyType);
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.NotNull(Managed(shared, "first")["fieldsV1"]!["f:data"]!["f:key"]);
        Assert.NotNull(Managed(shared, "second")["fieldsV1"]!["f:data"]!["f:key"]);
    }

    [Fact]
    public async Task A_field_the_manager_no_longer_applies_is_removed_unless_another_manager_owns_it()
    {
        await using var server = await DoubleClient.StartAsync();
        await server.SendAsync("PATCH", ConfigMapPath + "?fieldManager=localtls", DoubleClient.ConfigMap("c", data: new() { ["a"] = "1", ["b"] = "2", ["c"] = "3" }), ApplyType);
        await server.SendAsync("PATCH", ConfigMapPath + "?fieldManager=other", DoubleClient.ConfigMap("c", data: new() { ["b"] = "2" }), ApplyType);

        var (_, applied) = await server.SendAsync("PATCH", ConfigMapPath + "?fieldManager=localtls", DoubleClient.ConfigMap("c", data: new() { ["a"] = "1" }), ApplyType);

        Assert.Equal("""{"a":"1","b":"2"}""", applied["data"]!.ToJsonString());
        Assert.Null(Managed(applied, "localtls")["fieldsV1"]!["f:data"]!["f:b"]);
    }

    [Fact]
    public async Task Containers_are_an_associative_list_so_two_managers_can_each_own_one()
    {
        await using var server = await DoubleClient.StartAsync();
        await server.SendAsync("PATCH", DeploymentPath + "?fieldManager=localtls", DoubleClient.Deployment("web"), ApplyType);
        var sidecar = JsonNode.Parse("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},
             "spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}
            """)!;
        var (code, both) = await server.SendAsync("PATCH", DeploymentPath + "?fieldManager=mesh", sidecar, ApplyType);

        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(["app", "sidecar"], both["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Select(c => (string)c!["name"]!));
        var (_, rolledBack) = await server.SendAsync("PATCH", DeploymentPath + "?fieldManager=mesh",
            JsonNode.Parse("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"}}""")!, ApplyType);
        Assert.True(rolledBack["spec"] is not null, rolledBack.ToJsonString());
        Assert.Equal(["app"], rolledBack["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Select(c => (string)c!["name"]!));
    }

    [Fact]
    public async Task An_update_takes_ownership_of_what_it_changes_and_the_next_apply_conflicts_with_it()
    {
        await using var server = await DoubleClient.StartAsync();
        await server.SendAsync("PATCH", ConfigMapPath + "?fieldManager=localtls", DoubleClient.ConfigMap("c", data: new() { ["key"] = "one" }), ApplyType);
        var (_, edited) = await server.SendAsync("PATCH", ConfigMapPath + "?fieldManager=kubectl-edit",
            new JsonObject { ["data"] = new JsonObject { ["key"] = "edited" } }, "application/merge-patch+json");

        var editor = Managed(edited, "kubectl-edit");
        Assert.Equal("Update", (string?)editor["operation"]);
        Assert.NotNull(editor["fieldsV1"]!["f:data"]!["f:key"]);
        Assert.DoesNotContain(edited["metadata"]!["managedFields"]!.AsArray(), e => (string?)e!["manager"] == "localtls");

        var (code, status) = await server.SendAsync("PATCH", ConfigMapPath + "?fieldManager=localtls", DoubleClient.ConfigMap("c", data: new() { ["key"] = "one" }), ApplyType);
        Assert.Equal(HttpStatusCode.Conflict, code);
        Assert.Contains("kubectl-edit", (string?)status["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_apply_carrying_a_stale_resource_version_is_a_409_Conflict()
    {
        await using var server = await DoubleClient.StartAsync();
        var (_, created) = await server.SendAsync("PATCH", ConfigMapPath + "?fieldManager=localtls", DoubleClient.ConfigMap("c", data: new() { ["k"] = "1" }), ApplyType);
        await server.SendAsync("PATCH", ConfigMapPath + "?fieldManager=localtls", DoubleClient.ConfigMap("c", data: new() { ["k"] = "2" }), ApplyType);
        var stale = DoubleClient.ConfigMap("c", data: new() { ["k"] = "3" });
        stale["metadata"]!["resourceVersion"] = DoubleClient.Rv(created);

        var (code, status) = await server.SendAsync("PATCH", ConfigMapPath + "?fieldManager=localtls", stale, ApplyType);

        Assert.Equal((HttpStatusCode.Conflict, "Conflict"), (code, (string?)status["reason"]));
        Assert.Contains("the object has been modified", (string?)status["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cert_manager_object_with_a_misspelt_field_is_refused_by_its_CRD_schema()
    {
        await using var server = await DoubleClient.StartAsync();
        await DiscoveryTests.ApplyCertManagerCrdsAsync(server);
        const string issuer = """
            apiVersion: cert-manager.io/v1
            kind: ClusterIssuer
            metadata: {name: step-ca-acme}
            spec:
              acme:
                server: https://step-ca.step-ca.svc.cluster.local:9000/acme/acme/directory
                privateKeySecretRef: {name: step-ca-acme-account}
                solvers:
                - http01: {ingress: {ingresClassName: traefik}}
            """;
        var (code, status) = await server.SendAsync("PATCH", "/apis/cert-manager.io/v1/clusterissuers/step-ca-acme?fieldManager=localtls", issuer, ApplyType);
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Equal("strict decoding error: unknown field \"spec.acme.solvers[0].http01.ingress.ingresClassName\"", (string?)status["message"]);

        var (fixedCode, _) = await server.SendAsync("PATCH", "/apis/cert-manager.io/v1/clusterissuers/step-ca-acme?fieldManager=localtls",
            issuer.Replace("ingresClassName", "ingressClassName", StringComparison.Ordinal), ApplyType);
        Assert.Equal(HttpStatusCode.Created, fixedCode);
    }

    [Fact]
    public async Task An_applied_object_is_validated_like_any_other_write()
    {
        await using var server = await DoubleClient.StartAsync();
        var bad = DoubleClient.ConfigMap("c");
        bad["data"] = new JsonObject { ["k"] = 5 };
        var (code, status) = await server.SendAsync("PATCH", ConfigMapPath + "?fieldManager=localtls", bad, ApplyType);
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Contains("ConfigMap.data.k", (string?)status["message"], StringComparison.Ordinal);
    }
}
