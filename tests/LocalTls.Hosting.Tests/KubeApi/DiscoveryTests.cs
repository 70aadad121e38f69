using System.Net;
using System.Text.Json.Nodes;
using k8s;
using LocalTls.KubeApiDouble.Schemas;
using LocalTls.Tests.TestSupport.Schemas;

namespace LocalTls.Tests.KubeApi;

/// <summary>What a client learns from the double before it touches an object: version, groups, resources, health.</summary>
public class DiscoveryTests
{
    [Fact]
    public async Task Version_is_Kubernetes_1_35_as_KubernetesClient_reads_it()
    {
        await using var server = await DoubleClient.StartAsync();
        var version = await server.CreateClient().Version.GetCodeAsync(TestContext.Current.CancellationToken);
        Assert.Equal(("1", "35"), (version.Major, version.Minor));
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/livez")]
    [InlineData("/readyz")]
    public async Task Health_endpoints_answer_ok(string path)
    {
        await using var server = await DoubleClient.StartAsync();
        using var http = server.CreateHttpClient();
        Assert.Equal("ok", await http.GetStringAsync(path, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Requests_authenticate_with_the_kubeconfigs_token_as_on_a_real_api_server()
    {
        await using var server = await DoubleClient.StartAsync();
        server.RequireBearerToken = true;
        using var anonymous = new HttpClient { BaseAddress = server.Url };
        // The anonymous user may read the public health and version paths only (k3s's default RBAC).
        Assert.Equal("ok", await anonymous.GetStringAsync("/readyz", TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/version", TestContext.Current.CancellationToken)).StatusCode);
        using var forbidden = await anonymous.GetAsync("/api/v1/namespaces", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Contains("system:anonymous", await forbidden.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        using var wrong = new HttpClient { BaseAddress = server.Url };
        wrong.DefaultRequestHeaders.Authorization = new("Bearer", "expired");
        using var unauthorized = await wrong.GetAsync("/readyz", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal("Unauthorized", (string?)JsonNode.Parse(await unauthorized.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["reason"]);

        using var authenticated = server.CreateHttpClient();
        Assert.Equal(HttpStatusCode.OK, (await authenticated.GetAsync("/api/v1/namespaces", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task Core_resources_say_namespaced_or_not_kind_verbs_and_status_subresource()
    {
        await using var server = await DoubleClient.StartAsync();
        var (code, list) = await server.SendAsync("GET", "/api/v1");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("APIResourceList", (string?)list["kind"]);
        var resources = list["resources"]!.AsArray().ToDictionary(r => (string)r!["name"]!, r => r!);
        Assert.Equal(
            ["configmaps", "events", "namespaces", "namespaces/status", "nodes", "nodes/status", "persistentvolumeclaims", "persistentvolumeclaims/status",
             "pods", "pods/log", "pods/status", "secrets", "serviceaccounts", "services", "services/status"],
            resources.Keys.Order(StringComparer.Ordinal));
        Assert.True((bool)resources["configmaps"]["namespaced"]!);
        Assert.False((bool)resources["nodes"]["namespaced"]!);
        Assert.Equal("PersistentVolumeClaim", (string?)resources["persistentvolumeclaims"]["kind"]);
        Assert.Contains("watch", resources["secrets"]["verbs"]!.AsArray().Select(v => (string?)v));
        Assert.Equal(["get", "patch", "update"], resources["services/status"]["verbs"]!.AsArray().Select(v => (string?)v));
        Assert.Contains("cm", resources["configmaps"]["shortNames"]!.AsArray().Select(v => (string?)v));
    }

    [Fact]
    public async Task Built_in_groups_are_listed_with_their_preferred_version()
    {
        await using var server = await DoubleClient.StartAsync();
        var (_, groups) = await server.SendAsync("GET", "/apis");
        var names = groups["groups"]!.AsArray().Select(g => (string)g!["name"]!).ToList();
        Assert.Equal(["apps", "networking.k8s.io", "rbac.authorization.k8s.io", "admissionregistration.k8s.io", "apiextensions.k8s.io"], names);
        var (_, apps) = await server.SendAsync("GET", "/apis/apps/v1");
        Assert.Contains(apps["resources"]!.AsArray(), r => (string?)r!["name"] == "deployments/status");
        var (_, networking) = await server.SendAsync("GET", "/apis/networking.k8s.io/v1");
        Assert.False((bool)networking["resources"]!.AsArray().Single(r => (string?)r!["name"] == "ingressclasses")!["namespaced"]!);
    }

    [Fact]
    public async Task Cert_manager_kinds_are_served_once_their_CRDs_are_stored_and_Established()
    {
        await using var server = await DoubleClient.StartAsync();
        var (before, _) = await server.SendAsync("GET", "/apis/cert-manager.io/v1");
        Assert.Equal(HttpStatusCode.NotFound, before);

        await ApplyCertManagerCrdsAsync(server);

        var (_, certManager) = await server.SendAsync("GET", "/apis/cert-manager.io/v1");
        var resources = certManager["resources"]!.AsArray().ToDictionary(r => (string)r!["name"]!, r => r!);
        Assert.True((bool)resources["certificates"]["namespaced"]!);
        Assert.False((bool)resources["clusterissuers"]["namespaced"]!);
        Assert.Contains("certificaterequests/status", resources.Keys);
        var (_, acme) = await server.SendAsync("GET", "/apis/acme.cert-manager.io/v1");
        Assert.Equal(["challenges", "challenges/status", "orders", "orders/status"], acme["resources"]!.AsArray().Select(r => (string)r!["name"]!).Order(StringComparer.Ordinal));

        var crd = await server.CreateClient().ApiextensionsV1.ReadCustomResourceDefinitionAsync("certificates.cert-manager.io", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Contains(crd.Status.Conditions, c => c.Type == "Established" && c.Status == "True");
        Assert.Equal("Certificate", crd.Status.AcceptedNames.Kind);
    }

    [Fact]
    public async Task Deleting_a_CRD_stops_serving_its_kind_and_removes_its_objects()
    {
        await using var server = await DoubleClient.StartAsync();
        await ApplyCertManagerCrdsAsync(server);
        var issuer = JsonNode.Parse("""
            {"apiVersion":"cert-manager.io/v1","kind":"ClusterIssuer","metadata":{"name":"selfsigned","namespace":"ignored"},"spec":{"selfSigned":{}}}
            """)!;
        var (created, stored) = await server.SendAsync("POST", "/apis/cert-manager.io/v1/clusterissuers", issuer);
        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Null(stored["metadata"]!["namespace"]);

        await server.SendAsync("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/clusterissuers.cert-manager.io");

        Assert.Equal(HttpStatusCode.NotFound, (await server.SendAsync("GET", "/apis/cert-manager.io/v1/clusterissuers")).Code);
        await ApplyCertManagerCrdsAsync(server);
        var (_, list) = await server.SendAsync("GET", "/apis/cert-manager.io/v1/clusterissuers");
        Assert.Empty(list["items"]!.AsArray());
    }

    [Fact]
    public async Task OpenApi_v3_serves_the_reference_documents_and_one_made_from_a_stored_CRD()
    {
        await using var server = await DoubleClient.StartAsync();
        await ApplyCertManagerCrdsAsync(server);
        var (_, index) = await server.SendAsync("GET", "/openapi/v3");
        var paths = index["paths"]!.AsObject();
        Assert.Contains("apis/apps/v1", paths.Select(p => p.Key));
        Assert.Contains("apis/cert-manager.io/v1", paths.Select(p => p.Key));

        var (_, apps) = await server.SendAsync("GET", "/openapi/v3/apis/apps/v1");
        Assert.NotNull(apps["components"]!["schemas"]!["io.k8s.api.apps.v1.Deployment"]);
        var (_, certManager) = await server.SendAsync("GET", "/openapi/v3/apis/cert-manager.io/v1");
        var certificate = certManager["components"]!["schemas"]!["io.cert-manager.v1.Certificate"]!;
        Assert.Equal("Certificate", (string?)certificate["x-kubernetes-group-version-kind"]![0]!["kind"]);
        Assert.NotNull(certificate["properties"]!["spec"]!["properties"]!["secretName"]);
    }

    /// <summary>The cert-manager v1.21.1 CRDs from the reference directory, server-side applied as kubectl would.</summary>
    internal static async Task ApplyCertManagerCrdsAsync(KubeApiDouble.KubeApiServer server)
    {
        foreach (var file in Directory.GetFiles(ReferenceFiles.PathTo("cert-manager", "crds"), "*.yaml").Order(StringComparer.Ordinal))
        {
            foreach (var crd in YamlJson.ParseAll(File.ReadAllText(file)).OfType<JsonObject>())
            {
                var name = (string)crd["metadata"]!["name"]!;
                var (code, body) = await server.SendAsync("PATCH", $"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}?fieldManager=test",
                    crd, "application/apply-patch+yaml");
                Assert.True(code is HttpStatusCode.Created or HttpStatusCode.OK, $"{name}: {code} {body}");
            }
        }
    }
}
