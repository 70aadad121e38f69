using System.Net;
using System.Text.Json.Nodes;

namespace LocalTls.Tests.KubeApi;

/// <summary>The status subresource and dry run.</summary>
public class StatusAndDryRunTests
{
    private const string DeploymentPath = "/apis/apps/v1/namespaces/default/deployments/web";

    private static JsonObject Status(int replicas) => new() { ["replicas"] = replicas, ["readyReplicas"] = replicas };

    [Fact]
    public async Task A_write_to_status_changes_status_only()
    {
        await using var server = await DoubleClient.StartAsync();
        var (_, created) = await server.SendAsync("POST", "/apis/apps/v1/namespaces/default/deployments", DoubleClient.Deployment("web"));
        created["status"] = Status(1);
        created["spec"]!["replicas"] = 5;

        var (code, updated) = await server.SendAsync("PUT", DeploymentPath + "/status", created);

        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(1, (int?)updated["status"]!["readyReplicas"]);
        Assert.Equal(1, (int?)updated["spec"]!["replicas"]);
        Assert.Equal(1, DoubleClient.Generation(updated));
    }

    [Fact]
    public async Task A_write_to_the_main_resource_leaves_status_alone()
    {
        await using var server = await DoubleClient.StartAsync();
        var deployment = DoubleClient.Deployment("web");
        deployment["status"] = Status(7);
        var (_, created) = await server.SendAsync("POST", "/apis/apps/v1/namespaces/default/deployments", deployment);
        Assert.Null(created["status"]);

        await server.SendAsync("PATCH", DeploymentPath + "/status", new JsonObject { ["status"] = Status(1) }, "application/merge-patch+json");
        var (_, patched) = await server.SendAsync("PATCH", DeploymentPath, new JsonObject { ["status"] = Status(9), ["spec"] = new JsonObject { ["replicas"] = 2 } }, "application/merge-patch+json");
        Assert.Equal((1, 2), ((int)patched["status"]!["replicas"]!, (int)patched["spec"]!["replicas"]!));
    }

    [Fact]
    public async Task Apply_to_status_records_a_manager_for_the_status_subresource()
    {
        await using var server = await DoubleClient.StartAsync();
        await DiscoveryTests.ApplyCertManagerCrdsAsync(server);
        const string certificate = """
            apiVersion: cert-manager.io/v1
            kind: Certificate
            metadata: {name: app-tls, namespace: default}
            spec: {secretName: app-tls, dnsNames: [app.127.0.0.1.sslip.io], issuerRef: {name: step-ca-acme, kind: ClusterIssuer}}
            """;
        await server.SendAsync("PATCH", "/apis/cert-manager.io/v1/namespaces/default/certificates/app-tls?fieldManager=localtls", certificate, "application/apply-patch+yaml");
        const string ready = """
            apiVersion: cert-manager.io/v1
            kind: Certificate
            metadata: {name: app-tls, namespace: default}
            status:
              conditions:
              - {type: Ready, status: "True", reason: Ready, message: Certificate is up to date and has not expired}
            """;
        var (code, updated) = await server.SendAsync("PATCH", "/apis/cert-manager.io/v1/namespaces/default/certificates/app-tls/status?fieldManager=cert-manager-certificates-readiness", ready, "application/apply-patch+yaml");

        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("True", (string?)updated["status"]!["conditions"]![0]!["status"]);
        var entry = updated["metadata"]!["managedFields"]!.AsArray().Single(e => (string?)e!["manager"] == "cert-manager-certificates-readiness")!;
        Assert.Equal("status", (string?)entry["subresource"]);
        Assert.Equal(1, DoubleClient.Generation(updated));
    }

    [Fact]
    public async Task The_scale_subresource_reads_and_writes_replicas_only()
    {
        await using var server = await DoubleClient.StartAsync();
        await server.SendAsync("POST", "/apis/apps/v1/namespaces/default/deployments", DoubleClient.Deployment("web", replicas: 2));
        var (_, scale) = await server.SendAsync("GET", DeploymentPath + "/scale");
        Assert.Equal(("autoscaling/v1", "Scale", 2, "app=web"), ((string?)scale["apiVersion"], (string?)scale["kind"], (int)scale["spec"]!["replicas"]!, (string?)scale["status"]!["selector"]));

        var (code, scaled) = await server.SendAsync("PATCH", DeploymentPath + "/scale", new JsonObject { ["spec"] = new JsonObject { ["replicas"] = 5 } }, "application/merge-patch+json");
        Assert.Equal((HttpStatusCode.OK, 5), (code, (int)scaled["spec"]!["replicas"]!));
        var (_, deployment) = await server.SendAsync("GET", DeploymentPath);
        Assert.Equal((5, 2L), ((int)deployment["spec"]!["replicas"]!, DoubleClient.Generation(deployment)));
    }

    [Fact]
    public async Task Status_of_a_kind_without_the_subresource_is_not_found()
    {
        await using var server = await DoubleClient.StartAsync();
        await server.SendAsync("POST", "/api/v1/namespaces/default/configmaps", DoubleClient.ConfigMap("c"));
        var (code, _) = await server.SendAsync("GET", "/api/v1/namespaces/default/configmaps/c/status");
        Assert.Equal(HttpStatusCode.NotFound, code);
    }

    [Fact]
    public async Task Dry_run_validates_and_answers_but_stores_nothing()
    {
        await using var server = await DoubleClient.StartAsync();
        var before = server.Store.ResourceVersion;
        var (code, answered) = await server.SendAsync("POST", "/api/v1/namespaces/default/configmaps?dryRun=All", DoubleClient.ConfigMap("c", data: new() { ["k"] = "v" }));
        Assert.Equal(HttpStatusCode.Created, code);
        Assert.Equal("v", (string?)answered["data"]!["k"]);
        Assert.Null(answered["metadata"]!["resourceVersion"]);
        Assert.Equal(HttpStatusCode.NotFound, (await server.SendAsync("GET", "/api/v1/namespaces/default/configmaps/c")).Code);

        var invalid = DoubleClient.ConfigMap("c");
        invalid["data"] = new JsonObject { ["k"] = true };
        Assert.Equal(HttpStatusCode.BadRequest, (await server.SendAsync("POST", "/api/v1/namespaces/default/configmaps?dryRun=All", invalid)).Code);

        await server.SendAsync("POST", "/api/v1/namespaces/default/configmaps", DoubleClient.ConfigMap("c"));
        var stored = server.Store.ResourceVersion;
        var (patchCode, patched) = await server.SendAsync("PATCH", "/api/v1/namespaces/default/configmaps/c?dryRun=All&fieldManager=x",
            DoubleClient.ConfigMap("c", data: new() { ["k"] = "dry" }), "application/apply-patch+yaml");
        Assert.Equal((HttpStatusCode.OK, "dry"), (patchCode, (string?)patched["data"]!["k"]));
        Assert.Equal(stored, server.Store.ResourceVersion);
        Assert.Null((await server.SendAsync("GET", "/api/v1/namespaces/default/configmaps/c")).Body["data"]);
        Assert.Equal(before + 1, stored);
    }
}
