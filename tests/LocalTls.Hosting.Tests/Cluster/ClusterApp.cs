using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using LocalTls.KubeApiDouble;
using LocalTls.KubeApiDouble.CertManager;
using LocalTls.Tests.KubeApi;
using LocalTls.Tests.StepCa;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

namespace LocalTls.Tests.Cluster;

/// <summary>The seed's model as an AppHost test builds it against the API double, and a property of a snapshot.</summary>
internal static class ClusterApp
{
    public static string? Property(ResourceEvent e, string name) => e.Snapshot.Properties.SingleOrDefault(p => p.Name == name)?.Value?.ToString();

    /// <summary>step-ca in the cluster of <paramref name="kubeconfig"/>, its ClusterIssuer (HTTP-01) and app-tls for app.192.168.5.2.sslip.io.</summary>
    public static IDistributedApplicationTestingBuilder Seed(string kubeconfig, string caStore, Action<IResourceBuilder<KubeconfigClusterResource>>? cluster = null)
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        var k3s = builder.AddKubeconfigCluster("k3s").WithKubeconfig(kubeconfig).WithIngressAddress("192.168.5.2");
        cluster?.Invoke(k3s);
        var ca = builder.AddStepCa("step-ca").WithAcmeProvisioner("acme").WithCaStore(caStore).InCluster(k3s);
        var issuer = builder.AddCertManagerIssuer("step-ca-acme", ca).WithHttp01Solver();
        builder.AddCertificate("app-tls", k3s.AddSslipHostname("app")).WithIssuer(issuer);
        return builder;
    }
}

/// <summary>
/// A cluster as the cluster target meets it with cert-manager installed: the API double with cert-manager's CRDs, its
/// cert-manager stand-in, the kubelet stand-in running the real step-ca, and k3s's Traefik IngressClass unless left out.
/// </summary>
internal sealed class DoubleCluster : IAsyncDisposable
{
    private readonly TempDirectory dir = new();
    private IAsyncDisposable? kubelet;

    public required KubeApiServer Server { get; init; }

    public CertManagerStandIn CertManager { get; private set; } = null!;

    public string Kubeconfig => dir.Combine("kubeconfig");

    public string CaStore => dir.Combine("caroot");

    public string Directory => dir.Path;

    public static async Task<DoubleCluster> StartAsync(bool ingressClass = true)
    {
        var server = await DoubleClient.StartAsync();
        await DiscoveryTests.ApplyCertManagerCrdsAsync(server);
        if (ingressClass)
        {
            server.AddTraefikIngressClass();
        }

        // The stand-in before the kubelet: step-ca gets the cluster DNS its dns-01 answers are published in.
        var cluster = new DoubleCluster { Server = server };
        cluster.CertManager = CertManagerStandIn.Start(server);
        cluster.kubelet = Kubelet.Start(server, new Dictionary<string, string> { ["step-ca"] = StepCaBinary.Path });
        server.WriteKubeconfig(cluster.Kubeconfig);
        return cluster;
    }

    public async ValueTask DisposeAsync()
    {
        await (kubelet?.DisposeAsync() ?? ValueTask.CompletedTask);
        await CertManager.DisposeAsync();
        await Server.DisposeAsync();
        dir.Dispose();
    }
}
