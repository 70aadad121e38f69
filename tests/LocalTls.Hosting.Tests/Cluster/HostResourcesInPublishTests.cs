using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using LocalTls.CertManager;
using LocalTls.Cluster;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

namespace LocalTls.Tests.Cluster;

/// <summary>Resources of the host target are not cluster objects: publishing leaves them out and says so, and never fails because of them.</summary>
public class HostResourcesInPublishTests
{
    [Fact]
    public void Host_resources_are_skipped_and_cluster_ones_rendered_side_by_side()
    {
        var seed = ModelFixtures.Seed();
        var hostCa = new StepCaResource("host-ca");
        var hostIssuer = new AcmeIssuerResource("host-issuer") { Ca = hostCa };
        var hostCertificate = new CertificateResource("host-tls") { Issuer = hostIssuer };
        hostCertificate.HostnameList.Add(new SslipHostnameResource("web", "web"));
        var set = ClusterManifests.Render([.. ModelFixtures.Resources(seed), hostCa, hostIssuer, hostCertificate.Hostnames[0], hostCertificate], production: false, _ => ModelFixtures.Ca.Value);

        Assert.Equal(["host-ca", "host-issuer", "host-tls"], set.Skipped.Order());
        Assert.DoesNotContain(set.Objects, o => o is k8s.IKubernetesObject<k8s.Models.V1ObjectMeta> { Metadata.Name: "host-issuer" or "host-tls" });
        Assert.Contains(set.Objects, o => o is Certificate { Metadata.Name: "test-tls" });
    }

    [Fact]
    public void A_cluster_step_ca_issuer_in_production_without_a_production_issuer_is_an_error_that_says_what_to_write()
    {
        var seed = ModelFixtures.Seed();
        seed.Certificate.ProductionIssuer = null;
        var ex = Assert.Throws<InvalidOperationException>(() => ClusterManifests.Render(ModelFixtures.Resources(seed), production: true, _ => ModelFixtures.Ca.Value));
        Assert.Contains(".WithIssuer(local: step-ca-acme, production: letsEncrypt)", ex.Message);
    }

    [Fact]
    public async Task Publishing_a_host_only_app_writes_no_manifests_and_succeeds()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var builder = DistributedApplicationTestingBuilder.Create(["--operation", "publish", "--step", "publish", "--output-path", dir.Combine("out"), "--environment", "Development"]);
        var ca = builder.AddStepCa("step-ca").WithCaStore(dir.Combine("caroot"));
        builder.AddCertificate("web-tls", builder.AddSslipHostname("web")).WithIssuer(builder.AddCertManagerIssuer("local", ca));
        await using var app = await builder.BuildAsync(ct);
        // Succeeds: the publish pipeline runs to its end without an exception from the LocalTls step.
        await app.RunAsync(ct);

        Assert.False(Directory.Exists(dir.Combine("out", "localtls")));
        Assert.False(Directory.Exists(dir.Combine("caroot")), "nothing to publish, so no CA was created");
    }
}
