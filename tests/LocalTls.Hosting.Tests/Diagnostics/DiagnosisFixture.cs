using System.Net;
using System.Text.Json.Nodes;
using LocalTls.Cluster;
using LocalTls.KubeApiDouble;
using LocalTls.KubeApiDouble.CertManager;
using LocalTls.Tests.Cluster;
using LocalTls.Tests.KubeApi;
using LocalTls.Tests.StepCa;
using LocalTls.Tests.TestSupport.Schemas;

namespace LocalTls.Tests.Diagnostics;

/// <summary>The double with what a test asks for: cert-manager's CRDs, its stand-in, the kubelet running the real step-ca, a server clock.</summary>
internal sealed class DiagnosisFixture : IAsyncDisposable
{
    private DiagnosisFixture(KubeApiServer server, CertManagerStandIn? certManager, Kubelet? kubelet)
    {
        Server = server;
        CertManager = certManager;
        Kubelet = kubelet;
    }

    public KubeApiServer Server { get; }

    public CertManagerStandIn? CertManager { get; }

    public Kubelet? Kubelet { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<DiagnosisFixture> StartAsync(bool crds = true, bool certManager = true, bool kubelet = true, TimeProvider? time = null)
    {
        var server = await KubeApiServer.StartAsync(ReferenceFiles.Require(), time: time);
        if (crds)
        {
            await DiscoveryTests.ApplyCertManagerCrdsAsync(server);
        }

        var standIn = crds && certManager ? CertManagerStandIn.Start(server) : null;
        var running = kubelet ? Kubelet.Start(server, new Dictionary<string, string> { ["step-ca"] = StepCaBinary.Path }) : null;
        return new DiagnosisFixture(server, standIn, running);
    }

    /// <summary>The seed (step-ca, ClusterIssuer step-ca-acme, Certificate default/test-tls) rendered as the cluster target renders it, with IngressClass traefik as k3s has.</summary>
    public async Task ApplySeedAsync(Action<JsonObject>? change = null, bool ingressClass = true)
    {
        if (ingressClass)
        {
            await ApplyAsync(new JsonObject
            {
                ["apiVersion"] = "networking.k8s.io/v1",
                ["kind"] = "IngressClass",
                ["metadata"] = new JsonObject { ["name"] = "traefik" },
                ["spec"] = new JsonObject { ["controller"] = "traefik.io/ingress-controller" },
            });
        }

        var seed = ModelFixtures.Seed("traefik");
        IEnumerable<object> objects = ClusterManifests.Render(ModelFixtures.Resources(seed), production: false, _ => ModelFixtures.Ca.Value).Objects;
        if (!Server.Api.Types().Any(t => t.Kind == "ClusterIssuer"))
        {
            objects = objects.Where(o => o is not (LocalTls.CertManager.ClusterIssuer or LocalTls.CertManager.Issuer or LocalTls.CertManager.Certificate));
        }

        // Let's Encrypt cannot be reached from here: its issuer would (rightly) be found not Ready.
        objects = objects.Where(o => o is not LocalTls.CertManager.ClusterIssuer { Metadata.Name: "letsencrypt-prod" });

        foreach (var obj in objects)
        {
            var json = ManifestYaml.ToJson((k8s.IKubernetesObject)obj);
            change?.Invoke(json);
            await ApplyAsync(json);
        }
    }

    public async Task<JsonObject> ApplyAsync(JsonObject json, string? subresource = null)
    {
        var path = PathOf(json) + (subresource is null ? "" : "/" + subresource);
        var (code, body) = await Server.SendAsync("PATCH", $"{path}?fieldManager=localtls&force=true", json, "application/apply-patch+yaml");
        Assert.True(code is HttpStatusCode.Created or HttpStatusCode.OK, $"{(string?)json["kind"]}: {code} {body}");
        return body;
    }

    public string PathOf(JsonObject json)
    {
        var type = Server.Api.Types().Single(t => t.ApiVersion == (string?)json["apiVersion"] && t.Kind == (string?)json["kind"]);
        var ns = type.Namespaced ? $"namespaces/{(string?)json["metadata"]!["namespace"]}/" : "";
        var prefix = type.Group.Length == 0 ? "/api/v1/" : $"/apis/{type.ApiVersion}/";
        return $"{prefix}{ns}{type.Plural}/{(string?)json["metadata"]!["name"]}";
    }

    public async Task<JsonObject> EventuallyAsync(string path, Func<JsonObject, bool> done, string what, int seconds = 90)
    {
        var (_, value) = await Server.SendAsync("GET", path);
        for (var i = 0; i < seconds * 5 && !done(value); i++)
        {
            await Task.Delay(200, Ct);
            (_, value) = await Server.SendAsync("GET", path);
        }

        Assert.True(done(value), $"{what} did not happen in {seconds} s; last seen: {value.ToJsonString()}");
        return value;
    }

    public static JsonObject? Condition(JsonObject obj, string type) =>
        ((obj["status"] as JsonObject)?["conditions"] as JsonArray)?.FirstOrDefault(c => (string?)c!["type"] == type) as JsonObject;

    public const string IssuerPath = "/apis/cert-manager.io/v1/clusterissuers/step-ca-acme";
    public const string CertificatePath = "/apis/cert-manager.io/v1/namespaces/default/certificates/test-tls";

    public async ValueTask DisposeAsync()
    {
        if (Kubelet is not null)
        {
            await Kubelet.DisposeAsync();
        }

        if (CertManager is not null)
        {
            await CertManager.DisposeAsync();
        }

        await Server.DisposeAsync();
    }
}

/// <summary>A clock set off this machine's by a fixed amount.</summary>
internal sealed class OffsetTime(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
}
