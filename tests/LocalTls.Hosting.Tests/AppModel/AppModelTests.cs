using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using LocalTls.Tests.TestSupport;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;
using Microsoft.Extensions.DependencyInjection;

namespace LocalTls.Tests.AppModel;

/// <summary>The app model an AppHost author builds: resources, parents, icons, initial dashboard states.</summary>
public class AppModelTests
{
    private static IDistributedApplicationTestingBuilder Seed(out IResourceBuilder<CertificateResource> certificate, string caStore)
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        var k3s = builder.AddKubeconfigCluster("k3s").WithIngressAddress("192.168.5.2");
        var ca = builder.AddStepCa("step-ca").WithAcmeProvisioner("acme").WithPersistence("1Gi", "local-path").InCluster(k3s).WithCaStore(caStore);
        var issuer = builder.AddCertManagerIssuer("step-ca-acme", ca).WithHttp01Solver();
        var prod = builder.AddLetsEncryptIssuer("letsencrypt-prod", email: "admin@example.com");
        var host = k3s.AddSslipHostname("app");
        certificate = builder.AddCertificate("app-tls", host).WithIssuer(local: issuer, production: prod);
        return builder;
    }

    private static string? Parent(IResource resource) =>
        resource.Annotations.OfType<ResourceRelationshipAnnotation>().SingleOrDefault(r => r.Type == "Parent")?.Resource.Name;

    [Fact]
    public async Task The_seed_model_has_the_expected_resources_parents_icons_and_initial_states()
    {
        using var dir = new TempDirectory();
        var builder = Seed(out var certificate, dir.Path);
        await using var app = await builder.BuildAsync(TestContext.Current.CancellationToken);
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();

        var ca = Assert.Single(model.Resources.OfType<StepCaResource>());
        var issuers = model.Resources.OfType<AcmeIssuerResource>().ToList();
        var host = Assert.Single(model.Resources.OfType<SslipHostnameResource>());
        Assert.Equal(2, issuers.Count);
        Assert.Equal("k3s", Parent(ca));
        Assert.Equal("step-ca", Parent(issuers.Single(i => i.Name == "step-ca-acme")));
        Assert.Null(Parent(issuers.Single(i => i.Name == "letsencrypt-prod")));
        Assert.Equal("k3s", Parent(host));
        Assert.Equal("app", Parent(certificate.Resource));

        Assert.Equal("app.192.168.5.2.sslip.io", host.Hostname);
        Assert.Equal("https://step-ca.step-ca.svc.cluster.local:9000/acme/acme/directory", issuers.Single(i => i.Name == "step-ca-acme").AcmeServer.ToString());
        Assert.Equal("cert-manager.io/cluster-issuer", Assert.Single(issuers[0].IngressAnnotations).Key);

        foreach (var (resource, type, icon) in new (IResource, string, string)[]
        {
            (ca, "StepCa", "ShieldKeyhole"), (issuers[0], "CertManagerIssuer", "KeyMultiple"), (host, "SslipHostname", "Globe"),
            (certificate.Resource, "Certificate", "Certificate"), (model.Resources.Single(r => r.Name == "k3s"), "KubernetesCluster", "Cloud"),
        })
        {
            var snapshot = Assert.Single(resource.Annotations.OfType<ResourceSnapshotAnnotation>()).InitialSnapshot;
            Assert.Equal(type, snapshot.ResourceType);
            Assert.Equal(resource is SslipHostnameResource ? KnownResourceStates.Active : KnownResourceStates.NotStarted, snapshot.State?.Text);
            Assert.Equal(icon, Assert.Single(resource.Annotations.OfType<ResourceIconAnnotation>()).IconName);
            Assert.True(resource.IsExcludedFromPublish() || resource.Annotations.OfType<ManifestPublishingCallbackAnnotation>().Any(), $"{resource.Name} must stay out of the Aspire manifest");
        }

    }

    [Fact]
    public async Task When_the_app_runs_an_in_cluster_ca_shows_its_cluster_and_namespace()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var builder = Seed(out _, dir.Path);
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(2), ct);
        var ca = await app.ResourceNotifications.WaitForResourceAsync("step-ca", e => e.Snapshot.Properties.Any(p => p.Name == "localtls.target"), ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.Contains(ca.Snapshot.Properties, p => p.Name == "localtls.target" && (string?)p.Value == "cluster k3s");
        Assert.Contains(ca.Snapshot.Properties, p => p.Name == "localtls.namespace" && (string?)p.Value == "step-ca");
        await app.StopAsync(ct);
    }

    [Fact]
    public void A_host_name_waits_until_the_cluster_has_an_ingress_address()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        var host = builder.AddKubeconfigCluster("k3s").AddSslipHostname("app");
        Assert.Null(host.Resource.Hostname);
        var snapshot = host.Resource.Annotations.OfType<ResourceSnapshotAnnotation>().Single().InitialSnapshot;
        Assert.Equal(KnownResourceStates.Waiting, snapshot.State?.Text);
        Assert.Equal("app.127.0.0.1.sslip.io", builder.AddSslipHostname("web", "app").Resource.Hostname);
        Assert.Equal("app.127.0.0.1.nip.io", builder.AddSslipHostname("web2", "app").WithZone("nip.io").Resource.Hostname);
    }

    [Fact]
    public void Environment_based_issuer_selection_is_one_line()
    {
        foreach (var environment in new[] { "Development", "Production" })
        {
            var builder = DistributedApplicationTestingBuilder.Create(["--environment", environment]);
            var ca = builder.AddStepCa("step-ca");
            var local = builder.AddCertManagerIssuer("step-ca-acme", ca);
            var prod = builder.AddLetsEncryptIssuer("letsencrypt-prod", "admin@example.com");
            var host = builder.AddSslipHostname("app");
            // The README's one line.
            var certificate = builder.AddCertificate("app-tls", host).WithIssuer(Microsoft.Extensions.Hosting.HostEnvironmentEnvExtensions.IsProduction(builder.Environment) ? prod : local);
            Assert.Equal(environment, builder.Environment.EnvironmentName);
            Assert.Equal(environment == "Production" ? "letsencrypt-prod" : "step-ca-acme", certificate.Resource.Issuer!.Name);
            Assert.True(prod.Resource.IsPublic);
            Assert.False(local.Resource.IsPublic);
            Assert.True(local.Resource.EnableDurationFeature);
            Assert.False(prod.Resource.EnableDurationFeature);
        }
    }
}
