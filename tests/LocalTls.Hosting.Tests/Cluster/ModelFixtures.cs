using System.Net;
using Aspire.Hosting.ApplicationModel;
using LocalTls.Pki;
using LocalTls.StepCa;

namespace LocalTls.Tests.Cluster;

/// <summary>Resource graphs built directly (resources are plain data), for renderer tests.</summary>
internal static class ModelFixtures
{
    public static readonly Lazy<CaMaterial> Ca = new(() => CaGenerator.Create());

    /// <summary>The seed's example: step-ca in step-ca, ClusterIssuer step-ca-acme, Certificate test-tls for test.192.168.5.2.sslip.io.</summary>
    public static (KubeconfigClusterResource Cluster, StepCaResource Ca, AcmeIssuerResource Issuer, AcmeIssuerResource Production, CertificateResource Certificate) Seed(string ingressClass = "nginx")
    {
        var cluster = new KubeconfigClusterResource("k3s") { AppIdentity = "seed", IngressAddress = IPAddress.Parse("192.168.5.2"), IngressClassName = ingressClass };
        var ca = new StepCaResource("step-ca") { Cluster = cluster, StorageClassName = "local-path" };
        ca.ProvisionerList.Add(new AcmeProvisionerOptions());
        var issuer = new AcmeIssuerResource("step-ca-acme") { Ca = ca, EnableDurationFeature = true };
        var production = new AcmeIssuerResource("letsencrypt-prod") { Server = new Uri(AcmeIssuerResource.LetsEncryptProduction), Email = "admin@example.com" };
        var host = new SslipHostnameResource("test", "test") { Cluster = cluster };
        var certificate = new CertificateResource("test-tls") { Issuer = issuer, ProductionIssuer = production };
        certificate.HostnameList.Add(host);
        return (cluster, ca, issuer, production, certificate);
    }

    public static IResource[] Resources((KubeconfigClusterResource Cluster, StepCaResource Ca, AcmeIssuerResource Issuer, AcmeIssuerResource Production, CertificateResource Certificate) seed) =>
        [seed.Cluster, seed.Ca, seed.Issuer, seed.Production, seed.Certificate.Hostnames[0], seed.Certificate];
}
