using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace LocalTls.Tests.KubeApi;

/// <summary>Create, read, replace, patch, delete: metadata the server sets, and the Status bodies of its refusals.</summary>
public class StorageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_sets_uid_creation_time_generation_and_a_resource_version_from_one_global_counter()
    {
        await using var server = await DoubleClient.StartAsync();
        var (c1, first) = await server.SendAsync("POST", "/api/v1/namespaces/default/configmaps", DoubleClient.ConfigMap("one"));
        var (c2, second) = await server.SendAsync("POST", "/api/v1/namespaces/default/secrets",
            new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Secret", ["metadata"] = new JsonObject { ["name"] = "two" } });

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (c1, c2));
        Assert.True(Guid.TryParse((string?)first["metadata"]!["uid"], out _));
        Assert.True(DateTimeOffset.TryParse((string?)first["metadata"]!["creationTimestamp"], out _));
        Assert.Null(first["metadata"]!["generation"]); // a ConfigMap has none; a Deployment starts at 1 (below)
        Assert.Equal(long.Parse(DoubleClient.Rv(first)) + 1, long.Parse(DoubleClient.Rv(second)));
        var (_, list) = await server.SendAsync("GET", "/api/v1/namespaces/default/configmaps");
        Assert.Equal(DoubleClient.Rv(second), (string?)list["metadata"]!["resourceVersion"]);
    }

    [Fact]
    public async Task Creating_an_existing_name_is_409_AlreadyExists_in_the_real_Status_shape()
    {
        await using var server = await DoubleClient.StartAsync();
        await server.SendAsync("POST", "/apis/apps/v1/namespaces/default/deployments", DoubleClient.Deployment("web"));
        var (code, status) = await server.SendAsync("POST", "/apis/apps/v1/namespaces/default/deployments", DoubleClient.Deployment("web"));

        Assert.Equal(HttpStatusCode.Conflict, code);
        var expected = JsonNode.Parse(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deployments.apps \"web\" already exists","reason":"AlreadyExists","details":{"name":"web","group":"apps","kind":"deployments"},"code":409}""");
        Assert.True(JsonNode.DeepEquals(expected, status), status.ToJsonString());
    }

    [Fact]
    public async Task Reading_a_missing_object_is_404_NotFound_naming_the_resource()
    {
        await using var server = await DoubleClient.StartAsync();
        var (code, status) = await server.SendAsync("GET", "/api/v1/namespaces/default/secrets/nope");
        Assert.Equal(HttpStatusCode.NotFound, code);
        Assert.Equal(("Failure", "NotFound", "secrets \"nope\" not found", 404), ((string?)status["status"], (string?)status["reason"], (string?)status["message"], (int?)status["code"]));
        Assert.Equal("secrets", (string?)status["details"]!["kind"]);

        var error = await Assert.ThrowsAsync<HttpOperationException>(
            () => server.CreateClient().CoreV1.ReadNamespacedSecretAsync("nope", "default", cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.NotFound, error.Response.StatusCode);
    }

    [Fact]
    public async Task Creating_in_a_namespace_that_does_not_exist_is_404_for_the_namespace()
    {
        await using var server = await DoubleClient.StartAsync();
        var (code, status) = await server.SendAsync("POST", "/api/v1/namespaces/step-ca/configmaps", DoubleClient.ConfigMap("c", "step-ca"));
        Assert.Equal(HttpStatusCode.NotFound, code);
        Assert.Equal("namespaces \"step-ca\" not found", (string?)status["message"]);
        Assert.Equal("namespaces", (string?)status["details"]!["kind"]);

        await server.SendAsync("POST", "/api/v1/namespaces", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = "step-ca" } });
        var (after, _) = await server.SendAsync("POST", "/api/v1/namespaces/step-ca/configmaps", DoubleClient.ConfigMap("c", "step-ca"));
        Assert.Equal(HttpStatusCode.Created, after);
    }

    [Fact]
    public async Task A_new_namespace_is_Active_with_the_kubernetes_finalizer_and_reapplying_it_changes_nothing()
    {
        await using var server = await DoubleClient.StartAsync();
        var ns = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = "step-ca" } };
        var (_, created) = await server.SendAsync("PATCH", "/api/v1/namespaces/step-ca?fieldManager=localtls", ns, "application/apply-patch+yaml");
        Assert.Equal(("Active", "kubernetes"), ((string?)created["status"]!["phase"], (string?)created["spec"]!["finalizers"]![0]));
        var (_, again) = await server.SendAsync("PATCH", "/api/v1/namespaces/step-ca?fieldManager=localtls", ns, "application/apply-patch+yaml");
        Assert.True(DoubleClient.Rv(created) == DoubleClient.Rv(again), $"{created.ToJsonString()}\n{again.ToJsonString()}");
    }

    [Fact]
    public async Task Replacing_with_a_stale_resource_version_is_409_Conflict_and_with_the_current_one_succeeds()
    {
        await using var server = await DoubleClient.StartAsync();
        var client = server.CreateClient();
        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" }, Data = new Dictionary<string, string> { ["a"] = "1" } }, "default", cancellationToken: Ct);
        created.Data["a"] = "2";
        var updated = await client.CoreV1.ReplaceNamespacedConfigMapAsync(created, "c", "default", cancellationToken: Ct);
        Assert.NotEqual(created.Metadata.ResourceVersion, updated.Metadata.ResourceVersion);

        created.Data["a"] = "3"; // still carries the first resourceVersion
        var (code, status) = await server.SendAsync("PUT", "/api/v1/namespaces/default/configmaps/c", JsonNode.Parse(KubernetesJson.Serialize(created))!);
        Assert.Equal(HttpStatusCode.Conflict, code);
        Assert.Equal("Conflict", (string?)status["reason"]);
        Assert.Equal("Operation cannot be fulfilled on configmaps \"c\": the object has been modified; please apply your changes to the latest version and try again", (string?)status["message"]);
        Assert.Equal("2", (await client.CoreV1.ReadNamespacedConfigMapAsync("c", "default", cancellationToken: Ct)).Data["a"]);
    }

    [Fact]
    public async Task Generation_moves_on_spec_changes_only_not_on_metadata_or_unchanged_writes()
    {
        await using var server = await DoubleClient.StartAsync();
        var (_, created) = await server.SendAsync("POST", "/apis/apps/v1/namespaces/default/deployments", DoubleClient.Deployment("web"));
        var (_, labelled) = await server.SendAsync("PATCH", "/apis/apps/v1/namespaces/default/deployments/web",
            new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["tier"] = "front" } } }, "application/merge-patch+json");
        var (_, scaled) = await server.SendAsync("PATCH", "/apis/apps/v1/namespaces/default/deployments/web",
            new JsonObject { ["spec"] = new JsonObject { ["replicas"] = 3 } }, "application/merge-patch+json");
        var (_, again) = await server.SendAsync("PATCH", "/apis/apps/v1/namespaces/default/deployments/web",
            new JsonObject { ["spec"] = new JsonObject { ["replicas"] = 3 } }, "application/merge-patch+json");

        Assert.Equal([1L, 1L, 2L, 2L], new[] { created, labelled, scaled, again }.Select(DoubleClient.Generation));
        Assert.Null(server.Store.List(server.Api.FindType("", "v1", "namespaces")!, null)[0]["metadata"]!["generation"]);
        Assert.NotEqual(DoubleClient.Rv(created), DoubleClient.Rv(labelled));
        Assert.Equal(DoubleClient.Rv(scaled), DoubleClient.Rv(again));
    }

    [Fact]
    public async Task Strategic_merge_patch_merges_containers_by_name_while_merge_patch_replaces_the_list()
    {
        await using var server = await DoubleClient.StartAsync();
        await server.SendAsync("POST", "/apis/apps/v1/namespaces/default/deployments", DoubleClient.Deployment("web"));
        var sidecar = new JsonObject { ["spec"] = new JsonObject { ["template"] = new JsonObject { ["spec"] = new JsonObject {
            ["containers"] = new JsonArray(new JsonObject { ["name"] = "sidecar", ["image"] = "busybox" }) } } } };

        var (_, strategic) = await server.SendAsync("PATCH", "/apis/apps/v1/namespaces/default/deployments/web", sidecar, "application/strategic-merge-patch+json");
        Assert.Equal(["app", "sidecar"], Containers(strategic));

        var (_, merged) = await server.SendAsync("PATCH", "/apis/apps/v1/namespaces/default/deployments/web", sidecar, "application/merge-patch+json");
        Assert.Equal(["sidecar"], Containers(merged));

        static IEnumerable<string> Containers(JsonObject d) =>
            d["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Select(c => (string)c!["name"]!);
    }

    [Fact]
    public async Task Json_patch_operations_apply_in_order()
    {
        await using var server = await DoubleClient.StartAsync();
        await server.SendAsync("POST", "/api/v1/namespaces/default/configmaps", DoubleClient.ConfigMap("c", data: new() { ["a"] = "1" }));
        var patch = JsonNode.Parse("""[{"op":"add","path":"/data/b","value":"2"},{"op":"remove","path":"/data/a"},{"op":"test","path":"/data/b","value":"2"}]""");
        var (code, patched) = await server.SendAsync("PATCH", "/api/v1/namespaces/default/configmaps/c", patch!, "application/json-patch+json");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("""{"b":"2"}""", patched["data"]!.ToJsonString());
    }

    [Fact]
    public async Task An_invalid_object_is_422_Invalid_with_a_cause_per_field()
    {
        await using var server = await DoubleClient.StartAsync();
        var deployment = DoubleClient.Deployment("web");
        deployment["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject().Remove("name");
        deployment["metadata"]!["labels"] = new JsonObject { ["bad key!"] = "x" };
        var (code, status) = await server.SendAsync("POST", "/apis/apps/v1/namespaces/default/deployments", deployment);

        Assert.Equal((HttpStatusCode)422, code);
        Assert.Equal("Invalid", (string?)status["reason"]);
        Assert.StartsWith("Deployment.apps \"web\" is invalid: [", (string?)status["message"], StringComparison.Ordinal);
        Assert.Equal("Deployment", (string?)status["details"]!["kind"]);
        var causes = status["details"]!["causes"]!.AsArray().Select(c => ((string?)c!["field"], (string?)c["reason"])).ToList();
        Assert.Contains(("spec.template.spec.containers[0].name", "FieldValueRequired"), causes);
        Assert.Contains(causes, c => c.Item1!.StartsWith("metadata.labels", StringComparison.Ordinal) && c.Item2 == "FieldValueInvalid");
        var (missing, _) = await server.SendAsync("GET", "/apis/apps/v1/namespaces/default/deployments/web");
        Assert.Equal(HttpStatusCode.NotFound, missing);
    }

    [Fact]
    public async Task A_wrong_type_in_a_built_in_kind_is_a_400_decoding_error_as_Go_decoding_makes_it()
    {
        await using var server = await DoubleClient.StartAsync();
        var deployment = DoubleClient.Deployment("web");
        deployment["spec"]!["replicas"] = "three";
        var (code, status) = await server.SendAsync("POST", "/apis/apps/v1/namespaces/default/deployments", deployment);

        Assert.Equal((HttpStatusCode.BadRequest, "BadRequest"), (code, (string?)status["reason"]));
        Assert.Equal("Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field Deployment.spec.replicas of type integer",
            (string?)status["message"]);
    }

    [Fact]
    public async Task A_wrong_type_in_a_custom_resource_is_422_FieldValueTypeInvalid()
    {
        await using var server = await DoubleClient.StartAsync();
        await DiscoveryTests.ApplyCertManagerCrdsAsync(server);
        var certificate = JsonNode.Parse("""
            {"apiVersion":"cert-manager.io/v1","kind":"Certificate","metadata":{"name":"app-tls"},
             "spec":{"secretName":"app-tls","duration":24,"issuerRef":{"name":"step-ca-acme"}}}
            """)!;
        var (code, status) = await server.SendAsync("POST", "/apis/cert-manager.io/v1/namespaces/default/certificates", certificate);

        Assert.Equal((HttpStatusCode)422, code);
        var cause = Assert.Single(status["details"]!["causes"]!.AsArray())!;
        Assert.Equal(("spec.duration", "FieldValueTypeInvalid", "Invalid value: \"integer\": spec.duration in body must be of type string: \"integer\""),
            ((string?)cause["field"], (string?)cause["reason"], (string?)cause["message"]));
        Assert.Equal("Certificate.cert-manager.io \"app-tls\" is invalid: spec.duration: Invalid value: \"integer\": spec.duration in body must be of type string: \"integer\"", (string?)status["message"]);
    }

    [Fact]
    public async Task An_unknown_field_is_refused_as_strict_field_validation_does()
    {
        await using var server = await DoubleClient.StartAsync();
        var deployment = DoubleClient.Deployment("web");
        deployment["spec"]!["replica"] = 2;
        var (code, status) = await server.SendAsync("POST", "/apis/apps/v1/namespaces/default/deployments", deployment);
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Equal("strict decoding error: unknown field \"spec.replica\"", (string?)status["message"]);
    }

    [Fact]
    public async Task A_protobuf_body_is_415_so_the_client_knows_to_send_JSON()
    {
        await using var server = await DoubleClient.StartAsync();
        var (code, status) = await server.SendAsync("POST", "/api/v1/namespaces/default/configmaps", "k8s\0", "application/vnd.kubernetes.protobuf");
        Assert.Equal((HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType"), (code, (string?)status["reason"]));
    }

    [Theory]
    [InlineData("Warn")]
    [InlineData("Ignore")]
    public async Task Asked_to_warn_or_ignore_the_server_drops_unknown_fields_instead(string mode)
    {
        await using var server = await DoubleClient.StartAsync();
        var deployment = DoubleClient.Deployment("web");
        deployment["spec"]!["replica"] = 2;
        using var http = server.CreateHttpClient();
        using var response = await http.PostAsync($"/apis/apps/v1/namespaces/default/deployments?fieldValidation={mode}",
            new StringContent(deployment.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var stored = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        Assert.Null(stored["spec"]!["replica"]);
        Assert.Null(stored["metadata"]!["managedFields"]![0]!["fieldsV1"]!["f:spec"]!["f:replica"]);
        var warnings = response.Headers.TryGetValues("Warning", out var values) ? values.ToList() : [];
        Assert.Equal(mode == "Warn" ? ["299 - \"unknown field \\\"spec.replica\\\"\""] : [], warnings);
    }

    [Fact]
    public async Task Delete_answers_Success_then_the_object_is_gone()
    {
        await using var server = await DoubleClient.StartAsync();
        var (_, created) = await server.SendAsync("POST", "/api/v1/namespaces/default/configmaps", DoubleClient.ConfigMap("c"));
        var (code, status) = await server.SendAsync("DELETE", "/api/v1/namespaces/default/configmaps/c");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(("Success", (string?)created["metadata"]!["uid"]), ((string?)status["status"], (string?)status["details"]!["uid"]));
        Assert.Equal(HttpStatusCode.NotFound, (await server.SendAsync("GET", "/api/v1/namespaces/default/configmaps/c")).Code);
        Assert.Equal(HttpStatusCode.NotFound, (await server.SendAsync("DELETE", "/api/v1/namespaces/default/configmaps/c")).Code);
    }

    [Fact]
    public async Task A_deleted_namespace_is_Terminating_refuses_new_content_and_then_goes_with_its_contents()
    {
        await using var server = await DoubleClient.StartAsync();
        await server.SendAsync("POST", "/api/v1/namespaces", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = "gone" } });
        await server.SendAsync("POST", "/api/v1/namespaces/gone/configmaps", DoubleClient.ConfigMap("c", "gone"));

        var (code, terminating) = await server.SendAsync("DELETE", "/api/v1/namespaces/gone");
        Assert.Equal((HttpStatusCode.OK, "Terminating"), (code, (string?)terminating["status"]!["phase"]));
        Assert.Equal(HttpStatusCode.OK, (await server.SendAsync("GET", "/api/v1/namespaces/gone/configmaps/c")).Code);
        var (refused, status) = await server.SendAsync("POST", "/api/v1/namespaces/gone/configmaps", DoubleClient.ConfigMap("d", "gone"));
        Assert.Equal(HttpStatusCode.Forbidden, refused);
        Assert.Contains("because it is being terminated", (string?)status["message"], StringComparison.Ordinal);

        for (var i = 0; i < 50 && (await server.SendAsync("GET", "/api/v1/namespaces/gone")).Code != HttpStatusCode.NotFound; i++)
        {
            await Task.Delay(100, Ct);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await server.SendAsync("GET", "/api/v1/namespaces/gone")).Code);
        var (_, all) = await server.SendAsync("GET", "/api/v1/configmaps");
        Assert.Empty(all["items"]!.AsArray());
    }

    [Theory]
    [InlineData("app=web", "web")]
    [InlineData("app==web", "web")]
    [InlineData("app!=web", "db,plain")]
    [InlineData("app in (web,db)", "db,web")]
    [InlineData("app notin (web)", "db,plain")]
    [InlineData("app", "db,web")]
    [InlineData("!app", "plain")]
    [InlineData("app=db,tier=data", "db")]
    public async Task Label_selectors_filter_lists(string selector, string expected)
    {
        await using var server = await DoubleClient.StartAsync();
        await server.SendAsync("POST", "/api/v1/namespaces/default/configmaps", DoubleClient.ConfigMap("web", labels: new() { ["app"] = "web" }));
        await server.SendAsync("POST", "/api/v1/namespaces/default/configmaps", DoubleClient.ConfigMap("db", labels: new() { ["app"] = "db", ["tier"] = "data" }));
        await server.SendAsync("POST", "/api/v1/namespaces/default/configmaps", DoubleClient.ConfigMap("plain"));

        var list = await server.CreateClient().CoreV1.ListNamespacedConfigMapAsync("default", labelSelector: selector, cancellationToken: Ct);
        Assert.Equal(expected, string.Join(",", list.Items.Select(i => i.Metadata.Name)));
    }

    [Fact]
    public async Task Field_selectors_on_name_and_namespace_filter_lists_across_namespaces()
    {
        await using var server = await DoubleClient.StartAsync();
        await server.SendAsync("POST", "/api/v1/namespaces", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = "other" } });
        await server.SendAsync("POST", "/api/v1/namespaces/default/configmaps", DoubleClient.ConfigMap("a"));
        await server.SendAsync("POST", "/api/v1/namespaces/other/configmaps", DoubleClient.ConfigMap("a", "other"));
        await server.SendAsync("POST", "/api/v1/namespaces/other/configmaps", DoubleClient.ConfigMap("b", "other"));

        var client = server.CreateClient();
        var named = await client.CoreV1.ListConfigMapForAllNamespacesAsync(fieldSelector: "metadata.name=a", cancellationToken: Ct);
        Assert.Equal(["default/a", "other/a"], named.Items.Select(i => $"{i.Metadata.NamespaceProperty}/{i.Metadata.Name}"));
        var notDefault = await client.CoreV1.ListConfigMapForAllNamespacesAsync(fieldSelector: "metadata.namespace!=default", cancellationToken: Ct);
        Assert.Equal(["a", "b"], notDefault.Items.Select(i => i.Metadata.Name));
        var (code, _) = await server.SendAsync("GET", "/api/v1/configmaps?fieldSelector=data.a%3D1");
        Assert.Equal(HttpStatusCode.BadRequest, code);
    }
}
