using System.Net;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using k8s;
using k8s.Autorest;
using k8s.Models;
using LocalTls.Cluster;
using LocalTls.KubeApiDouble;
using LocalTls.Tests.KubeApi;
using LocalTls.Tests.StepCa;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

namespace LocalTls.Tests.Cluster;

/// <summary>
/// Pruning and clean-up through the whole Aspire path against the double (real step-ca, cert-manager stand-in):
/// what left the model is deleted on the next run, delete-on-stop removes this AppHost's objects, and neither touches
/// another AppHost's objects or unlabelled ones.
/// </summary>
public class ClusterPruningTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IDistributedApplicationTestingBuilder Model(string kubeconfig, string caStore, string? identity, bool cleanup, params string[] certificates)
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        var k3s = builder.AddKubeconfigCluster("k3s").WithKubeconfig(kubeconfig).WithIngressAddress("192.168.5.2");
        if (identity is not null)
        {
            k3s.WithAppIdentity(identity);
        }

        if (cleanup)
        {
            k3s.WithCleanupOnStop();
        }

        var ca = builder.AddStepCa("step-ca").WithAcmeProvisioner("acme").WithCaStore(caStore).InCluster(k3s);
        var issuer = builder.AddCertManagerIssuer("step-ca-acme", ca).WithHttp01Solver();
        foreach (var name in certificates)
        {
            builder.AddCertificate(name, k3s.AddSslipHostname(name.Replace("-tls", "", StringComparison.Ordinal))).WithIssuer(issuer);
        }

        return builder;
    }

    private static async Task<KubeApiServer> ClusterAsync()
    {
        var server = await DoubleClient.StartAsync();
        await DiscoveryTests.ApplyCertManagerCrdsAsync(server);
        server.AddTraefikIngressClass();
        return server;
    }

    private static async Task<bool> ExistsAsync(Func<Task> read)
    {
        try
        {
            await read();
            return true;
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private static Task<bool> CertificateExistsAsync(IKubernetes client, string name) =>
        ExistsAsync(() => client.CustomObjects.GetNamespacedCustomObjectAsync("cert-manager.io", "v1", "default", "certificates", name, Ct));

    private static JsonObject ForeignCertificate(string name, string partOf) => new()
    {
        ["apiVersion"] = "cert-manager.io/v1",
        ["kind"] = "Certificate",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = "default",
            ["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = "localtls", ["app.kubernetes.io/part-of"] = partOf },
        },
        ["spec"] = new JsonObject
        {
            ["secretName"] = name,
            ["dnsNames"] = new JsonArray("other.192.168.5.2.sslip.io"),
            ["issuerRef"] = new JsonObject { ["name"] = "other-issuer", ["kind"] = "ClusterIssuer" },
        },
    };

    [Fact]
    public async Task A_certificate_removed_from_the_model_is_deleted_on_the_next_run_and_another_apphosts_or_unlabelled_objects_survive()
    {
        using var dir = new TempDirectory();
        await using var server = await ClusterAsync();
        await using var certManager = LocalTls.KubeApiDouble.CertManager.CertManagerStandIn.Start(server);
        await using var kubelet = Kubelet.Start(server, new Dictionary<string, string> { ["step-ca"] = StepCaBinary.Path });
        var kubeconfig = dir.Combine("kubeconfig");
        server.WriteKubeconfig(kubeconfig);
        var client = server.CreateClient();

        await using (var first = await Model(kubeconfig, dir.Combine("caroot"), "shop", cleanup: false, "app-tls", "old-tls").BuildAsync(Ct))
        {
            await first.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);
            await first.ResourceNotifications.WaitForResourceAsync("old-tls", e => e.Snapshot.State?.Text == KnownResourceStates.Running, Ct).WaitAsync(TimeSpan.FromSeconds(150), Ct);
            await first.StopAsync(Ct);
        }

        // Without WithCleanupOnStop, stopping keeps everything.
        Assert.True(await CertificateExistsAsync(client, "old-tls"));
        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync("step-ca", "step-ca", cancellationToken: Ct);
        Assert.Equal("shop", deployment.Metadata.Labels["app.kubernetes.io/part-of"]);

        // Another AppHost's Certificate (same labels but its own identity), a LocalTls-labelled object without an identity, and an unlabelled one.
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(ForeignCertificate("other-tls", "other-shop"), "cert-manager.io", "v1", "default", "certificates", cancellationToken: Ct);
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "hand-made", NamespaceProperty = "step-ca" } }, "step-ca", cancellationToken: Ct);
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "older-localtls", NamespaceProperty = "step-ca", Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "localtls" } } }, "step-ca", cancellationToken: Ct);

        await using (var second = await Model(kubeconfig, dir.Combine("caroot"), "shop", cleanup: false, "app-tls").BuildAsync(Ct))
        {
            await second.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);
            // Pruning runs after the apply pass and before the watch that turns the certificate Running.
            await second.ResourceNotifications.WaitForResourceAsync("app-tls", e => e.Snapshot.State?.Text == KnownResourceStates.Running, Ct).WaitAsync(TimeSpan.FromSeconds(150), Ct);
            Assert.False(await CertificateExistsAsync(client, "old-tls"));
            Assert.True(await CertificateExistsAsync(client, "app-tls"));
            Assert.True(await CertificateExistsAsync(client, "other-tls"));
            Assert.True(await ExistsAsync(() => client.CoreV1.ReadNamespacedConfigMapAsync("hand-made", "step-ca", cancellationToken: Ct)));
            Assert.True(await ExistsAsync(() => client.CoreV1.ReadNamespacedConfigMapAsync("older-localtls", "step-ca", cancellationToken: Ct)));
            Assert.True(await ExistsAsync(() => client.AppsV1.ReadNamespacedDeploymentAsync("step-ca", "step-ca", cancellationToken: Ct)));
            await second.StopAsync(Ct);
        }

        var deletes = server.Requests.Snapshot().Where(r => r.Method == "DELETE").Select(r => r.Path).ToList();
        Assert.Equal(["/apis/cert-manager.io/v1/namespaces/default/certificates/old-tls"], deletes);
    }

    [Fact]
    public async Task With_cleanup_on_stop_stopping_the_apphost_deletes_its_objects_only()
    {
        using var dir = new TempDirectory();
        await using var server = await ClusterAsync();
        await using var certManager = LocalTls.KubeApiDouble.CertManager.CertManagerStandIn.Start(server);
        await using var kubelet = Kubelet.Start(server, new Dictionary<string, string> { ["step-ca"] = StepCaBinary.Path });
        var kubeconfig = dir.Combine("kubeconfig");
        server.WriteKubeconfig(kubeconfig);
        var client = server.CreateClient();

        // k3s's CoreDNS with a key another team wrote: clean-up takes LocalTls's key (WithSslipDns) and leaves theirs.
        await K3sSystem.SeedAsync(client, k3s: true, Ct);
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"coredns-custom","namespace":"kube-system"},"data":{"team.server":"example.test:53 {\n    errors\n}\n"}}""", V1Patch.PatchType.ApplyPatch), "coredns-custom", "kube-system", fieldManager: "team", cancellationToken: Ct);
        var builder = Model(kubeconfig, dir.Combine("caroot"), identity: null, cleanup: true, "app-tls");
        builder.CreateResourceBuilder(builder.Resources.OfType<KubeconfigClusterResource>().Single()).WithSslipDns();
        var identity = KubernetesNames.LabelValueFrom(builder.Environment.ApplicationName);
        await using var app = await builder.BuildAsync(Ct);
        await app.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);
        await app.ResourceNotifications.WaitForResourceAsync("app-tls", e => e.Snapshot.State?.Text == KnownResourceStates.Running, Ct).WaitAsync(TimeSpan.FromSeconds(150), Ct);
        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync("step-ca", "step-ca", cancellationToken: Ct);
        Assert.Contains(CoreDnsNames.Key, (await client.CoreV1.ReadNamespacedConfigMapAsync(CoreDnsNames.ConfigMap, CoreDnsNames.Namespace, cancellationToken: Ct)).Data.Keys);
        Assert.Equal(identity, deployment.Metadata.Labels["app.kubernetes.io/part-of"]);

        await client.CustomObjects.CreateNamespacedCustomObjectAsync(ForeignCertificate("other-tls", "other-shop"), "cert-manager.io", "v1", "default", "certificates", cancellationToken: Ct);
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "hand-made", NamespaceProperty = "default" } }, "default", cancellationToken: Ct);

        await app.StopAsync(Ct);

        Assert.False(await CertificateExistsAsync(client, "app-tls"));
        Assert.False(await ExistsAsync(() => client.CustomObjects.GetClusterCustomObjectAsync("cert-manager.io", "v1", "clusterissuers", "step-ca-acme", Ct)));
        Assert.False(await ExistsAsync(() => client.AppsV1.ReadNamespacedDeploymentAsync("step-ca", "step-ca", cancellationToken: Ct)));
        Assert.False(await ExistsAsync(() => client.CoreV1.ReadNamespacedSecretAsync("step-ca-secrets", "step-ca", cancellationToken: Ct)));
        // The emptied namespace goes too (Terminating first, as on a real server).
        Assert.Contains(server.Requests.Snapshot(), r => r.Method == "DELETE" && r.Path == "/api/v1/namespaces/step-ca" && r.StatusCode is >= 200 and < 300);
        Assert.True(await CertificateExistsAsync(client, "other-tls"));
        Assert.True(await ExistsAsync(() => client.CoreV1.ReadNamespacedConfigMapAsync("hand-made", "default", cancellationToken: Ct)));
        Assert.True(await ExistsAsync(() => client.CoreV1.ReadNamespaceAsync("default", cancellationToken: Ct)));
        var coreDns = await client.CoreV1.ReadNamespacedConfigMapAsync(CoreDnsNames.ConfigMap, CoreDnsNames.Namespace, cancellationToken: Ct);
        Assert.Equal(["team.server"], coreDns.Data.Keys);
    }
}
