using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

namespace LocalTls.Tests.AppModel;

/// <summary>The playground started for real (DCP, no dashboard UI): what the dashboard receives for each LocalTls resource.</summary>
public class DashboardStateTests
{
    [Fact]
    public async Task Every_LocalTls_resource_reports_its_type_state_and_properties()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.LocalTls_Playground_AppHost>([$"--Playground:CaStore={dir.Combine("caroot")}", "--Playground:Target=cluster", $"--Playground:Kubeconfig={dir.Combine("no-kubeconfig")}"], ct);
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(2), ct);

        var expected = new Dictionary<string, string>
        {
            ["k3s"] = "KubernetesCluster", ["step-ca"] = "StepCa", ["step-ca-acme"] = "CertManagerIssuer",
            ["app"] = "SslipHostname", ["app-tls"] = "Certificate",
        };
        foreach (var (name, type) in expected)
        {
            // Without a reachable cluster the cluster says why and nothing is applied; a host name with a known address needs nothing started.
            var state = type switch { "SslipHostname" => KnownResourceStates.Active, "KubernetesCluster" => KnownResourceStates.FailedToStart, _ => KnownResourceStates.NotStarted };
            var update = await app.ResourceNotifications.WaitForResourceAsync(name, e => e.Snapshot.ResourceType == type && e.Snapshot.State?.Text == state, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
            Assert.Equal(state, update.Snapshot.State?.Text);
        }

        // A development run applies no Let's Encrypt issuer (publish keeps it for production).
        Assert.DoesNotContain(app.Services.GetRequiredService<DistributedApplicationModel>().Resources, r => r.Name == "letsencrypt-prod");

        var cluster = await app.ResourceNotifications.WaitForResourceAsync("k3s", e => e.Snapshot.Properties.Any(p => p.Name == "localtls.problem" && p.Value is not null), ct);
        Assert.Contains("does not exist", cluster.Snapshot.Properties.Single(p => p.Name == "localtls.problem").Value?.ToString());

        var host = await app.ResourceNotifications.WaitForResourceAsync("app", e => e.Snapshot.Properties.Any(p => p.Name == "localtls.hostname"), ct);
        Assert.Equal("app.192.168.5.2.sslip.io", host.Snapshot.Properties.Single(p => p.Name == "localtls.hostname").Value);
        await app.StopAsync(ct);
    }
}
