using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using LocalTls.Cluster;
using LocalTls.Diagnostics;
using LocalTls.KubeApiDouble;
using LocalTls.Tests.KubeApi;
using LocalTls.Tests.StepCa;
using Microsoft.Extensions.DependencyInjection;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

namespace LocalTls.Tests.Diagnostics;

/// <summary>The dashboard's Diagnose command (Aspire.Hosting.Testing), against the API double running the real step-ca without cert-manager.</summary>
public class DiagnoseCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Diagnose_finds_nothing_on_a_running_CA_and_on_its_issuer_reports_cert_manager_missing_in_the_result_and_the_console_log()
    {
        using var dir = new TempDirectory();
        await using var server = await DoubleClient.StartAsync();
        await using var kubelet = Kubelet.Start(server, new Dictionary<string, string> { ["step-ca"] = StepCaBinary.Path });
        var kubeconfig = dir.Combine("kubeconfig");
        server.WriteKubeconfig(kubeconfig);

        var builder = DistributedApplicationTestingBuilder.Create();
        var k3s = builder.AddKubeconfigCluster("k3s").WithKubeconfig(kubeconfig).WithIngressAddress("192.168.5.2");
        var ca = builder.AddStepCa("step-ca").WithAcmeProvisioner("acme").WithCaStore(dir.Combine("caroot")).InCluster(k3s);
        var issuer = builder.AddCertManagerIssuer("step-ca-acme", ca).WithHttp01Solver();
        builder.AddCertificate("app-tls", k3s.AddSslipHostname("app")).WithIssuer(issuer);
        await using var app = await builder.BuildAsync(Ct);
        await app.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);
        await app.ResourceNotifications.WaitForResourceAsync("step-ca", e => e.Snapshot.State?.Text == KnownResourceStates.Running, Ct).WaitAsync(TimeSpan.FromSeconds(90), Ct);

        var healthy = await app.ResourceCommands.ExecuteCommandAsync("step-ca", DiagnoseCommand.Name, Ct);
        Assert.True(healthy.Success, healthy.Message);
        Assert.Equal("Diagnose found no problem.", healthy.Message);

        var missing = await app.ResourceCommands.ExecuteCommandAsync("step-ca-acme", DiagnoseCommand.Name, Ct);
        Assert.False(missing.Success);
        Assert.StartsWith("1 problem: cert-manager is not installed", missing.Message, StringComparison.Ordinal);
        Assert.Equal(CommandResultFormat.Markdown, missing.Data?.Format);
        Assert.Contains("### error: cert-manager-missing", missing.Data?.Value, StringComparison.Ordinal);
        Assert.Contains(ClusterTarget.InstallCertManager, missing.Data?.Value, StringComparison.Ordinal);

        var logs = app.Services.GetRequiredService<ResourceLoggerService>();
        var lines = new List<string>();
        for (var attempt = 0; attempt < 50 && !lines.Any(l => l.Contains("fix: Install it", StringComparison.Ordinal)); attempt++)
        {
            lines.Clear();
            await foreach (var batch in logs.GetAllAsync("step-ca-acme").WithCancellation(Ct))
            {
                lines.AddRange(batch.Select(l => l.Content));
            }

            await Task.Delay(200, Ct);
        }

        Assert.Contains(lines, l => l.Contains("Diagnose cert-manager-missing (CustomResourceDefinition certificates.cert-manager.io)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"fix: Install it: {ClusterTarget.InstallCertManager}", StringComparison.Ordinal));
        await app.StopAsync(Ct);
    }
}
