using System.Security.Cryptography.X509Certificates;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using LocalTls.Tests.StepCa;
using LocalTls.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

namespace LocalTls.Tests.Dashboard;

/// <summary>
/// The host target as the dashboard shows it (Aspire.Hosting.Testing, real step-ca, DCP): what the default details
/// view holds, and that the CA's health follows its process.
/// </summary>
public class HostDashboardTests
{
    private static ResourcePropertySnapshot? Shown(ResourceEvent e, string displayName) =>
        e.Snapshot.Properties.SingleOrDefault(p => p.IsHighlighted && p.DisplayName == displayName);

    private static async Task<(DistributedApplication App, TempDirectory Dir)> StartAsync(CancellationToken ct)
    {
        var dir = new TempDirectory();
        var builder = DistributedApplicationTestingBuilder.Create();
        var ca = builder.AddStepCa("step-ca").WithCaStore(dir.Combine("caroot")).WithExecutable(StepCaBinary.Path);
        var issuer = builder.AddCertManagerIssuer("local", ca);
        builder.AddCertificate("web-tls", builder.AddSslipHostname("web-name", "web")).WithIssuer(issuer);
        var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(3), ct);
        return (app, dir);
    }

    private static async Task<List<string>> LogAsync(DistributedApplication app, string resource, Func<List<string>, bool> enough, CancellationToken ct)
    {
        var lines = new List<string>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            var model = app.Services.GetRequiredService<DistributedApplicationModel>();
            await foreach (var batch in app.Services.GetRequiredService<ResourceLoggerService>().WatchAsync(model.Resources.Single(r => r.Name == resource)).WithCancellation(timeout.Token))
            {
                lines.AddRange(batch.Select(l => l.Content));
                if (enough(lines))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }

        return lines;
    }

    [Fact]
    public async Task A_host_certificate_shows_names_expiry_renewal_and_the_openssl_serial_in_the_default_view()
    {
        var ct = TestContext.Current.CancellationToken;
        var (app, dir) = await StartAsync(ct);
        using var _ = dir;
        await using var __ = app;

        var issued = await app.ResourceNotifications.WaitForResourceAsync("web-tls", e => e.Snapshot.State?.Text is "Running" or "FailedToStart", ct).WaitAsync(TimeSpan.FromSeconds(90), ct);
        Assert.Equal("Running", issued.Snapshot.State?.Text);
        var files = Shown(issued, "Files")?.Value?.ToString();
        Assert.NotNull(files);
        var leaf = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(files, "tls.crt"));

        Assert.Equal("web.127.0.0.1.sslip.io", Shown(issued, "Names")?.Value);
        // step-ca's default lifetime is 24 hours, renewal at two thirds: 16 hours from now.
        Assert.Matches(@"^in 23 h 5\d min \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)$", Shown(issued, "Expires")?.Value?.ToString());
        Assert.Matches(@"^in 1[56] h \d+ min \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)$", Shown(issued, "Renews")?.Value?.ToString());
        Assert.Contains(leaf.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture), Shown(issued, "Expires")?.Value?.ToString());
        var serial = Shown(issued, "Serial")?.Value?.ToString();
        Assert.Equal(CertificateSerial.OpenSslForm(leaf), serial);
        var openssl = await Tool.RunAsync(Tool.Require("openssl", "openssl"), ["x509", "-noout", "-serial", "-in", Path.Combine(files, "tls.crt")]);
        Assert.Equal($"serial={serial}", openssl.Stdout.Trim());
        // No Kubernetes-only fields on this machine, and no raw key in the default view.
        Assert.DoesNotContain(issued.Snapshot.Properties, p => p.Name is "localtls.namespace" or "localtls.secretName");
        Assert.DoesNotContain(issued.Snapshot.Properties, p => p.IsHighlighted && p.DisplayName is null);

        // The CA and its process: the binary and the version that actually run, no image.
        var ca = await app.ResourceNotifications.WaitForResourceAsync("step-ca", e => e.Snapshot.State?.Text == KnownResourceStates.Running && Shown(e, "Version") is not null, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        var version = (await Tool.RunAsync(StepCaBinary.Path, ["version"])).Stdout.Split('\n')[0].Trim();
        Assert.StartsWith("Smallstep CA/", version);
        Assert.Equal(version, Shown(ca, "Version")?.Value);
        Assert.Equal(Path.GetFullPath(StepCaBinary.Path), Shown(ca, "Executable")?.Value);
        Assert.DoesNotContain(ca.Snapshot.Properties, p => p.Name == "localtls.image");
        var server = await app.ResourceNotifications.WaitForResourceAsync("step-ca-server", e => e.Snapshot.Properties.Any(p => p.Name == "localtls.version"), ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.Equal(version, Shown(server, "Version")?.Value);
        Assert.DoesNotContain(server.Snapshot.Properties, p => p.Name.Contains("image", StringComparison.OrdinalIgnoreCase));

        await app.StopAsync(ct);
    }

    [Fact]
    public async Task The_CA_console_log_has_one_short_line_per_step_ca_request_and_errors_in_full()
    {
        var ct = TestContext.Current.CancellationToken;
        var (app, dir) = await StartAsync(ct);
        using var _ = dir;
        await using var __ = app;
        var issued = await app.ResourceNotifications.WaitForResourceAsync("web-tls", e => e.Snapshot.State?.Text is "Running" or "FailedToStart", ct).WaitAsync(TimeSpan.FromSeconds(90), ct);
        Assert.Equal("Running", issued.Snapshot.State?.Text);
        var serial = Shown(issued, "Serial")?.Value?.ToString();

        // A request step-ca refuses: an unsigned body where ACME wants a JWS.
        var ca = await app.ResourceNotifications.WaitForResourceAsync("step-ca", e => e.Snapshot.Properties.Any(p => p.Name == "localtls.acmeDirectory"), ct);
        var directory = new Uri(ca.Snapshot.Properties.Single(p => p.Name == "localtls.acmeDirectory").Value!.ToString()!);
        using var client = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } });
        using var refused = await client.PostAsync(new Uri(directory, "new-order"), new StringContent("{}", System.Text.Encoding.UTF8, "application/jose+json"), ct);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);

        var log = await LogAsync(app, "step-ca", l => l.Any(x => x.Contains("POST /acme/acme/new-order 400", StringComparison.Ordinal)), ct);
        foreach (var line in log)
        {
            TestContext.Current.TestOutputHelper?.WriteLine(line);
        }

        Assert.Contains(log, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"POST /acme/acme/new-order 201 [\d.]+(µs|ms|s)$"));
        Assert.Contains(log, l => l.Contains($": issued web.127.0.0.1.sslip.io, serial {serial}, valid to ", StringComparison.Ordinal));
        var error = Assert.Single(log, l => l.Contains("POST /acme/acme/new-order 400", StringComparison.Ordinal));
        Assert.Matches(@"400 [\d.]+(µs|ms|s): \S", error);
        // Short: no ACME bodies, no base64 certificates, no health polling.
        Assert.DoesNotContain(log, l => l.Contains("response=", StringComparison.Ordinal) || l.Contains("MII", StringComparison.Ordinal) || l.Contains("/health", StringComparison.Ordinal));
        Assert.All(log.Where(l => l.Contains(" /acme/", StringComparison.Ordinal) && !l.Contains(" 400 ", StringComparison.Ordinal)), l => Assert.True(l.Length < 300, l));
        Assert.DoesNotContain(log, l => l.Contains("Waiting for resource", StringComparison.Ordinal));
        // The process's own console log keeps step-ca's lines complete.
        var raw = await LogAsync(app, "step-ca-server", l => l.Any(x => x.Contains("certificate=MII", StringComparison.Ordinal)), ct);
        Assert.Contains(raw, l => l.Contains("response=", StringComparison.Ordinal));
        await app.StopAsync(ct);
    }

    [Fact]
    public async Task When_step_ca_stops_the_CA_does_not_read_healthy_and_reads_healthy_again_after_start()
    {
        var ct = TestContext.Current.CancellationToken;
        var (app, dir) = await StartAsync(ct);
        using var _ = dir;
        await using var __ = app;
        await app.ResourceNotifications.WaitForResourceHealthyAsync("step-ca", ct).WaitAsync(TimeSpan.FromSeconds(90), ct);
        Assert.True(app.ResourceNotifications.TryGetCurrentState("step-ca", out var healthy));
        Assert.Contains(healthy.Snapshot.HealthReports, r => r.Status == HealthStatus.Healthy);

        Assert.True((await app.ResourceCommands.ExecuteCommandAsync("step-ca-server", KnownResourceCommands.StopCommand, ct).WaitAsync(TimeSpan.FromSeconds(30), ct)).Success);
        var stopped = await app.ResourceNotifications.WaitForResourceAsync("step-ca", e => e.Snapshot.State?.Text == KnownResourceStates.Exited, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.NotEmpty(stopped.Snapshot.HealthReports);
        Assert.All(stopped.Snapshot.HealthReports, r => Assert.Equal(HealthStatus.Unhealthy, r.Status));
        Assert.NotEqual(HealthStatus.Healthy, stopped.Snapshot.HealthStatus);
        Assert.Contains("not running", stopped.Snapshot.HealthReports[0].Description);
        // The issuer's health is the CA's: it does not read healthy either.
        Assert.True(app.ResourceNotifications.TryGetCurrentState("local", out var issuer));
        Assert.Equal("CA not running", issuer.Snapshot.State?.Text);
        Assert.NotEmpty(issuer.Snapshot.HealthReports);
        Assert.DoesNotContain(issuer.Snapshot.HealthReports, r => r.Status == HealthStatus.Healthy);

        // Still unhealthy a while later: nothing turns the stale report back.
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        Assert.True(app.ResourceNotifications.TryGetCurrentState("step-ca", out var later));
        Assert.Equal(KnownResourceStates.Exited, later.Snapshot.State?.Text);
        Assert.DoesNotContain(later.Snapshot.HealthReports, r => r.Status == HealthStatus.Healthy);

        Assert.True((await app.ResourceCommands.ExecuteCommandAsync("step-ca-server", KnownResourceCommands.StartCommand, ct).WaitAsync(TimeSpan.FromSeconds(30), ct)).Success);
        await app.ResourceNotifications.WaitForResourceAsync("step-ca", e => e.Snapshot.State?.Text == KnownResourceStates.Running && e.Snapshot.HealthStatus == HealthStatus.Healthy, ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        await app.ResourceNotifications.WaitForResourceAsync("local", e => e.Snapshot.State?.Text == KnownResourceStates.Running && e.Snapshot.HealthStatus == HealthStatus.Healthy, ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        await app.StopAsync(ct);
    }
}
