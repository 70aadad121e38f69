using System.Net;
using System.Text.Json.Nodes;
using k8s;
using LocalTls.Cluster;
using LocalTls.StepCa;
using LocalTls.Tests.Cluster;
using LocalTls.Tests.StepCa;
using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.KubeApi;

/// <summary>
/// The step-ca Deployment, applied to the double and mounted from the objects the double then serves, runs the real
/// step-ca; clients reach it through the double's service proxy, as LocalTls reaches an in-cluster CA (no port-forward).
/// </summary>
public class StepCaBehindTheDoubleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_applied_Deployment_runs_the_real_step_ca_reachable_through_the_service_proxy()
    {
        var ca = ModelFixtures.Seed().Ca;
        var material = ModelFixtures.Ca.Value;
        await using var server = await DoubleClient.StartAsync();
        foreach (var obj in StepCaKubernetesRenderer.Render(ca, material, null))
        {
            var json = ManifestYaml.ToJson(obj);
            var type = server.Api.Types().Single(t => t.ApiVersion == (string?)json["apiVersion"] && t.Kind == (string?)json["kind"]);
            var ns = type.Namespaced ? $"namespaces/{(string?)json["metadata"]!["namespace"]}/" : "";
            var prefix = type.Group.Length == 0 ? "/api/v1/" : $"/apis/{type.ApiVersion}/";
            var (code, body) = await server.SendAsync("PATCH", $"{prefix}{ns}{type.Plural}/{(string?)json["metadata"]!["name"]}?fieldManager=localtls", json, "application/apply-patch+yaml");
            Assert.True(code == HttpStatusCode.Created, $"{type.Kind}: {code} {body}");
        }

        // What the kubelet would mount: the objects as the API serves them back, not as they were rendered.
        var client = server.CreateClient();
        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync(ca.ServiceName, ca.Namespace, cancellationToken: Ct);
        var configMaps = (await client.CoreV1.ListNamespacedConfigMapAsync(ca.Namespace, cancellationToken: Ct)).Items;
        var secrets = (await client.CoreV1.ListNamespacedSecretAsync(ca.Namespace, cancellationToken: Ct)).Items;
        var claims = (await client.CoreV1.ListNamespacedPersistentVolumeClaimAsync(ca.Namespace, cancellationToken: Ct)).Items;
        var service = await client.CoreV1.ReadNamespacedServiceAsync(ca.ServiceName, ca.Namespace, cancellationToken: Ct);
        IKubernetesObject[] served = [deployment, .. configMaps, .. secrets, .. claims, service];

        using var temp = new TempDirectory("stepca-pod");
        var port = LoopbackPort.GetFree();
        using var pod = RenderedDeploymentBootTests.Mount(served, temp.Path, port);
        await using var process = await StepCaProcess.StartAsync(
            new StepCaProcessOptions
            {
                Layout = StepCaLayout.Container.MapTo(temp.Path),
                ExecutablePath = StepCaBinary.Path,
                TrustedRootPem = material.RootCertificatePem,
            },
            Ct);

        // The Service's port, by number and by name, leads to the pod's listener.
        var servicePort = service.Spec.Ports.Single();
        server.Proxy.Register(ca.Namespace, ca.ServiceName, servicePort.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), new Uri($"https://127.0.0.1:{port}/"));
        server.Proxy.Register(ca.Namespace, ca.ServiceName, servicePort.Name, new Uri($"https://127.0.0.1:{port}/"));
        using var http = new HttpClient { BaseAddress = server.Url };
        var health = await http.GetStringAsync($"/api/v1/namespaces/{ca.Namespace}/services/https:{ca.ServiceName}:{servicePort.Port}/proxy/health", Ct);
        Assert.Equal("ok", (string?)JsonNode.Parse(health)!["status"]);

        var directory = JsonNode.Parse(await http.GetStringAsync(
            $"/api/v1/namespaces/{ca.Namespace}/services/https:{ca.ServiceName}:{servicePort.Name}/proxy/acme/{ca.DefaultProvisionerName}/directory", Ct))!;
        Assert.EndsWith($"/acme/{ca.DefaultProvisionerName}/new-order", (string?)directory["newOrder"], StringComparison.Ordinal);
        Assert.Equal(material.RootFingerprint, process.RootFingerprint);
    }
}
