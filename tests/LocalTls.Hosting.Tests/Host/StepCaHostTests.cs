using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using LocalTls.Pki;
using LocalTls.Tests.StepCa;
using LocalTls.Tests.TestSupport;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

namespace LocalTls.Tests.Host;

/// <summary>A step-ca not placed in a cluster runs on this machine as an Aspire resource, with its DNS responder.</summary>
public class StepCaHostTests
{
    private static async Task<string?> PropertyAsync(DistributedApplication app, string resource, string name, CancellationToken ct)
    {
        var update = await app.ResourceNotifications.WaitForResourceAsync(resource, e => e.Snapshot.Properties.Any(p => p.Name == name), ct);
        return update.Snapshot.Properties.Single(p => p.Name == name).Value?.ToString();
    }

    [Fact]
    public async Task Step_ca_runs_healthy_on_the_host_resolving_through_its_dns_responder()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var builder = DistributedApplicationTestingBuilder.Create();
        var ca = builder.AddStepCa("step-ca").WithAcmeProvisioner("acme").WithCaStore(dir.Combine("caroot")).WithExecutable(StepCaBinary.Path);
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(2), ct);

        await app.ResourceNotifications.WaitForResourceHealthyAsync("step-ca", ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        var material = new CaStore(dir.Combine("caroot")).Load();
        Assert.Equal(material.RootFingerprint, await PropertyAsync(app, "step-ca", "localtls.rootFingerprint", ct));
        var directoryUrl = await PropertyAsync(app, "step-ca", "localtls.acmeDirectory", ct);
        Assert.Matches(@"^https://127\.0\.0\.1:\d+/acme/acme/directory$", directoryUrl);

        using var handler = new HttpClientHandler();
        handler.ServerCertificateCustomValidationCallback = (_, certificate, presented, _) => OnlyRoot.Accepts(material, certificate, presented);
        using var http = new HttpClient(handler);
        var directory = await http.GetFromJsonAsync<JsonElement>(directoryUrl, ct);
        Assert.StartsWith(directoryUrl!.Replace("/directory", ""), directory.GetProperty("newOrder").GetString());

        var resolver = await PropertyAsync(app, "step-ca-dns", "localtls.resolver", ct);
        Assert.Equal(resolver, await PropertyAsync(app, "step-ca", "localtls.resolver", ct));
        var endPoint = IPEndPoint.Parse(resolver!);
        using var dns = new DnsClient([endPoint.Address], [new UdpClientTransport(endPoint.Port)], disposeTransport: true, queryTimeout: 5000);
        var answer = await dns.ResolveAsync(DomainName.Parse("app.127.0.0.1.sslip.io"), RecordType.A, token: ct);
        Assert.Equal(IPAddress.Loopback, Assert.IsType<ARecord>(Assert.Single(answer!.AnswerRecords)).Address);

        var dataDirectory = Path.Combine(dir.Combine("caroot"), "step-ca", "step-ca");
        Assert.True(File.Exists(Path.Combine(dataDirectory, "config", "ca.json")));
        Assert.False(File.Exists(Path.Combine(dataDirectory, "secrets", "root_ca_key")));
        await app.StopAsync(ct);
    }

    [Fact]
    public async Task Without_a_step_ca_binary_the_resource_fails_to_start_and_says_how_to_get_one()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var builder = DistributedApplicationTestingBuilder.Create();
        var ca = builder.AddStepCa("step-ca").WithCaStore(dir.Combine("caroot"));
        ca.Resource.ExecutablePath = dir.Combine("no-such-step-ca");
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(2), ct);

        await app.ResourceNotifications.WaitForResourceAsync("step-ca", KnownResourceStates.FailedToStart, ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        var problem = await PropertyAsync(app, "step-ca", "localtls.problem", ct);
        Assert.Contains("was not found", problem);
        Assert.Contains("apt-get install golang-go golang-github-smallstep-certificates-dev", problem);
        Assert.Contains("brew install", problem);
        Assert.Contains("container image", problem);
        await app.StopAsync(ct);
    }

    [Fact]
    public void A_step_ca_in_a_cluster_has_no_host_dns_responder_or_health_check()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        var host = builder.AddStepCa("host-ca");
        var cluster = builder.AddStepCa("cluster-ca").InCluster(builder.AddK3sCluster("k3s"));
        Assert.Contains(builder.Resources, r => r.Name == "host-ca-dns");
        Assert.DoesNotContain(builder.Resources, r => r.Name == "cluster-ca-dns");
        Assert.NotEmpty(host.Resource.Annotations.OfType<HealthCheckAnnotation>());
        Assert.Empty(cluster.Resource.Annotations.OfType<HealthCheckAnnotation>());
        Assert.Throws<ArgumentOutOfRangeException>(() => host.WithHostPort(0));
        Assert.Contains("does not exist", Assert.Throws<ArgumentException>(() => host.WithExecutable("/nonexistent/step-ca")).Message);
    }
}
