using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

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
