using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using LocalTls.Pki;
using LocalTls.Sslip;
using LocalTls.Tests.StepCa;
using LocalTls.Tests.TestSupport;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

namespace LocalTls.Tests.Host;

/// <summary>Host mode end to end: step-ca on this machine issues over ACME for a project, whose Kestrel serves it on its sslip.io name.</summary>
public class HostCertificateTests
{
    private static HttpClient TrustingOnly(CaMaterial ca)
    {
        var handler = new SocketsHttpHandler
        {
            // sslip.io names resolve to the address they contain: no DNS lookup needed to connect.
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(SslipHostname.Parse(context.DnsEndPoint.Host).Address, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, presented, _) =>
            OnlyRoot.Accepts(ca, certificate, presented) && ((X509Certificate2)certificate!).MatchesHostname("web.127.0.0.1.sslip.io");
        return new HttpClient(handler);
    }

    /// <summary>The serial of the certificate a TLS handshake with web.127.0.0.1.sslip.io on this port presents.</summary>
    private static async Task<string> ServedSerialAsync(int port, CancellationToken ct)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, ct);
        await using var tls = new System.Net.Security.SslStream(client.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "web.127.0.0.1.sslip.io" }, ct);
        return CertificateSerial.OpenSslForm(X509CertificateLoader.LoadCertificate(tls.RemoteCertificate!.GetRawCertData()));
    }

    private static string? Property(ResourceEvent e, string name) => e.Snapshot.Properties.SingleOrDefault(p => p.Name == name)?.Value?.ToString();

    [Fact]
    public async Task A_project_serves_the_issued_certificate_on_its_sslip_name_and_renews_on_command()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var builder = DistributedApplicationTestingBuilder.Create();
        var ca = builder.AddStepCa("step-ca").WithCaStore(dir.Combine("caroot")).WithExecutable(StepCaBinary.Path);
        var issuer = builder.AddCertManagerIssuer("local", ca);
        var tls = builder.AddCertificate("web-tls", builder.AddSslipHostname("web-name", "web")).WithIssuer(issuer);
        builder.AddProject<Projects.LocalTls_TestWeb>("web", "https").WithLocalTls(tls);
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(3), ct);

        var issued = await app.ResourceNotifications.WaitForResourceAsync("web-tls", e => e.Snapshot.State?.Text is "Running" or "FailedToStart", ct).WaitAsync(TimeSpan.FromSeconds(90), ct);
        Assert.True(issued.Snapshot.State?.Text == "Running", $"certificate: {Property(issued, "localtls.problem")}");
        Assert.Equal("web.127.0.0.1.sslip.io", Property(issued, "localtls.dnsNames"));
        var serial = Property(issued, "localtls.serial");
        var notAfter = DateTime.Parse(Property(issued, "localtls.notAfter")!, System.Globalization.CultureInfo.InvariantCulture).ToUniversalTime();
        var renewal = DateTime.Parse(Property(issued, "localtls.renewalTime")!, System.Globalization.CultureInfo.InvariantCulture).ToUniversalTime();
        Assert.InRange((notAfter - DateTime.UtcNow).TotalHours, 23, 24.1); // step-ca's default lifetime
        Assert.InRange((notAfter - renewal).TotalHours, 7.9, 8.1);          // renew at two thirds

        var issuerEvent = await app.ResourceNotifications.WaitForResourceAsync("local", e => e.Snapshot.State?.Text == KnownResourceStates.Running, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        var caEvent = await app.ResourceNotifications.WaitForResourceAsync("step-ca", e => Property(e, "localtls.acmeDirectory") is not null, ct);
        Assert.Equal(Property(caEvent, "localtls.acmeDirectory"), Property(issuerEvent, "localtls.acmeDirectory"));
        await app.ResourceNotifications.WaitForResourceAsync("web", KnownResourceStates.Running, ct).WaitAsync(TimeSpan.FromSeconds(90), ct);
        var endpoint = app.GetEndpoint("web", "https");
        var material = new CaStore(dir.Combine("caroot")).Load();
        using var http = TrustingOnly(material);
        string? body = null;
        for (var attempt = 0; attempt < 50 && body is null; attempt++)
        {
            try
            {
                body = await http.GetStringAsync($"https://web.127.0.0.1.sslip.io:{endpoint.Port}/", ct);
            }
            catch (HttpRequestException) when (attempt < 49)
            {
                await Task.Delay(200, ct);
            }
        }

        Assert.Equal("hello over https as web.127.0.0.1.sslip.io", body);
        var web = await app.ResourceNotifications.WaitForResourceAsync("web", e => e.Snapshot.Urls.Any(u => u.Url.StartsWith("https://web.127.0.0.1.sslip.io:")), ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.Contains(web.Snapshot.Urls, u => u.Url == $"https://web.127.0.0.1.sslip.io:{endpoint.Port}");

        Assert.Equal(serial, await ServedSerialAsync(endpoint.Port, ct));

        var result = await app.ResourceCommands.ExecuteCommandAsync("web-tls", "localtls-renew", ct);
        Assert.True(result.Success, result.Message);
        var renewed = await app.ResourceNotifications.WaitForResourceAsync("web-tls", e => e.Snapshot.State?.Text == "Running" && Property(e, "localtls.serial") is { } s && s != serial, ct).WaitAsync(TimeSpan.FromSeconds(60), ct);

        // The running project serves the renewed certificate without a restart (Kestrel reloads it).
        var newSerial = Property(renewed, "localtls.serial");
        var served = await ServedSerialAsync(endpoint.Port, ct);
        for (var attempt = 0; attempt < 60 && served != newSerial; attempt++)
        {
            await Task.Delay(500, ct);
            served = await ServedSerialAsync(endpoint.Port, ct);
        }

        Assert.Equal(newSerial, served);
        Assert.True(app.ResourceNotifications.TryGetCurrentState("web", out var web2));
        Assert.Equal(KnownResourceStates.Running, web2.Snapshot.State?.Text);
        await app.StopAsync(ct);
    }

    [Fact]
    public async Task A_resource_with_LocalTls_trust_calls_another_over_https_and_one_without_is_refused()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var builder = DistributedApplicationTestingBuilder.Create();
        var ca = builder.AddStepCa("step-ca").WithCaStore(dir.Combine("caroot")).WithExecutable(StepCaBinary.Path);
        var issuer = builder.AddCertManagerIssuer("local", ca);
        // localhost too, so a caller can reach it without resolving sslip.io (no public DNS here).
        var tls = builder.AddCertificate("api-tls", builder.AddSslipHostname("api-name", "api")).WithDnsNames("localhost").WithIssuer(issuer);
        builder.AddProject<Projects.LocalTls_TestWeb>("api", "https").WithLocalTls(tls);
        builder.AddProject<Projects.LocalTls_TestWeb>("trusting", "http").WithLocalTlsTrust(ca).WaitFor(tls);
        builder.AddProject<Projects.LocalTls_TestWeb>("untrusting", "http").WaitFor(tls);
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(3), ct);
        foreach (var name in new[] { "api", "trusting", "untrusting" })
        {
            await app.ResourceNotifications.WaitForResourceAsync(name, KnownResourceStates.Running, ct).WaitAsync(TimeSpan.FromSeconds(120), ct);
        }

        var api = app.GetEndpoint("api", "https");
        var target = Uri.EscapeDataString($"https://localhost:{api.Port}/");
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        async Task<HttpResponseMessage> CallAsync(string caller)
        {
            var endpoint = app.GetEndpoint(caller, "http");
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    return await plain.GetAsync($"http://localhost:{endpoint.Port}/call?url={target}", ct);
                }
                catch (HttpRequestException) when (attempt < 50)
                {
                    await Task.Delay(200, ct);
                }
            }
        }

        using var trusted = await CallAsync("trusting");
        Assert.True(trusted.IsSuccessStatusCode, await trusted.Content.ReadAsStringAsync(ct));
        Assert.Equal("hello over https as localhost", await trusted.Content.ReadAsStringAsync(ct));
        using var refused = await CallAsync("untrusting");
        Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        Assert.Contains("SSL", await refused.Content.ReadAsStringAsync(ct), StringComparison.OrdinalIgnoreCase);
        await app.StopAsync(ct);
    }

    [Fact]
    public async Task A_restart_reuses_a_valid_certificate_and_replaces_an_expired_one()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var store = new CaStore(dir.Combine("caroot"));
        var material = store.LoadOrCreate();
        async Task<ResourceEvent> RunOnceAsync()
        {
            var builder = DistributedApplicationTestingBuilder.Create();
            var ca = builder.AddStepCa("step-ca").WithCaStore(store.Directory).WithExecutable(StepCaBinary.Path);
            builder.AddCertificate("api-tls", builder.AddSslipHostname("api")).WithIssuer(builder.AddCertManagerIssuer("local", ca));
            await using var app = await builder.BuildAsync(ct);
            await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(2), ct);
            var ready = await app.ResourceNotifications.WaitForResourceAsync("api-tls", e => e.Snapshot.State?.Text is "Running" or "FailedToStart", ct).WaitAsync(TimeSpan.FromSeconds(90), ct);
            await app.StopAsync(ct);
            return ready;
        }

        // An expired certificate from this very CA is where the app keeps its certificate.
        var folder = Path.Combine(store.Directory, "step-ca", "step-ca", "certificates", "api-tls");
        Directory.CreateDirectory(folder);
        var (expired, key) = CaGenerator.IssueLeaf(material, ["api.127.0.0.1.sslip.io"], TimeSpan.FromHours(1), new FixedTime(DateTimeOffset.UtcNow.AddDays(-2)));
        File.WriteAllText(Path.Combine(folder, "tls.crt"), Pem.EncodeCertificate(expired) + material.IntermediateCertificatePem);
        File.WriteAllText(Path.Combine(folder, "tls.key"), Pem.EncodePrivateKey(key));
        var expiredSerial = expired.SerialNumber.ToString(16).ToUpperInvariant().TrimStart('0');

        var first = await RunOnceAsync();
        Assert.Equal("Running", first.Snapshot.State?.Text);
        Assert.NotEqual(expiredSerial, Property(first, "localtls.serial")!.TrimStart('0'));
        Assert.True(DateTime.Parse(Property(first, "localtls.notAfter")!, System.Globalization.CultureInfo.InvariantCulture).ToUniversalTime() > DateTime.UtcNow.AddHours(20));
        Assert.True(File.Exists(Path.Combine(folder, "tls.pfx")));
        using (var pfx = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(folder, "tls.pfx"), null))
        {
            Assert.True(pfx.HasPrivateKey);
            Assert.Equal(Property(first, "localtls.serial"), CertificateSerial.OpenSslForm(pfx));
        }

        var second = await RunOnceAsync();
        Assert.Equal(Property(first, "localtls.serial"), Property(second, "localtls.serial"));
    }

    [Fact]
    public async Task A_killed_step_ca_shows_as_exited_renewal_fails_clearly_and_restart_recovers()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var builder = DistributedApplicationTestingBuilder.Create();
        var ca = builder.AddStepCa("step-ca").WithCaStore(dir.Combine("caroot")).WithExecutable(StepCaBinary.Path);
        builder.AddCertificate("api-tls", builder.AddSslipHostname("api")).WithIssuer(builder.AddCertManagerIssuer("local", ca));
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(2), ct);
        var first = await app.ResourceNotifications.WaitForResourceAsync("api-tls", e => e.Snapshot.State?.Text == "Running", ct).WaitAsync(TimeSpan.FromSeconds(90), ct);
        var running = await app.ResourceNotifications.WaitForResourceAsync("step-ca", e => e.Snapshot.State?.Text == KnownResourceStates.Running && Property(e, "localtls.pid") is not null, ct);

        using (var process = System.Diagnostics.Process.GetProcessById(int.Parse(Property(running, "localtls.pid")!, System.Globalization.CultureInfo.InvariantCulture)))
        {
            process.Kill();
        }

        var exited = await app.ResourceNotifications.WaitForResourceAsync("step-ca", e => e.Snapshot.State?.Text == KnownResourceStates.Exited, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.Contains("step-ca exited with code", Property(exited, "localtls.problem"));
        Assert.DoesNotContain("its last lines: .", Property(exited, "localtls.problem")); // the lines, not an empty tail
        Assert.Contains("Restart on 'step-ca-server'", Property(exited, "localtls.problem"));

        // Renew says it failed (no "succeeded" toast), and the certificate still served reads as valid with its renewal failing.
        var failedRenewal = await app.ResourceCommands.ExecuteCommandAsync("api-tls", "localtls-renew", ct);
        Assert.False(failedRenewal.Success);
        Assert.Contains("127.0.0.1:", failedRenewal.Message);
        var failed = await app.ResourceNotifications.WaitForResourceAsync("api-tls", e => e.Snapshot.State?.Text == "Renewal failing", ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        Assert.Contains("127.0.0.1:", Property(failed, "localtls.problem"));
        Assert.Equal(KnownResourceStateStyles.Warn, failed.Snapshot.State?.Style);

        var restart = await app.ResourceCommands.ExecuteCommandAsync("step-ca-server", KnownResourceCommands.RestartCommand, ct);
        Assert.True(restart.Success, restart.Message);
        await app.ResourceNotifications.WaitForResourceAsync("step-ca", e => e.Snapshot.State?.Text == KnownResourceStates.Running && Property(e, "localtls.problem") is null, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("step-ca", ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        var renewed = await app.ResourceCommands.ExecuteCommandAsync("api-tls", "localtls-renew", ct);
        Assert.True(renewed.Success, renewed.Message);
        var recovered = await app.ResourceNotifications.WaitForResourceAsync("api-tls", e => e.Snapshot.State?.Text == "Running" && Property(e, "localtls.serial") != Property(first, "localtls.serial"), ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        Assert.Null(Property(recovered, "localtls.problem"));
        await app.StopAsync(ct);
    }

    [Fact]
    public async Task WithLocalTls_gives_a_project_without_an_https_endpoint_one_that_serves_the_certificate()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var builder = DistributedApplicationTestingBuilder.Create();
        var ca = builder.AddStepCa("step-ca").WithCaStore(dir.Combine("caroot")).WithExecutable(StepCaBinary.Path);
        var tls = builder.AddCertificate("web-tls", builder.AddSslipHostname("web-name", "web")).WithIssuer(builder.AddCertManagerIssuer("local", ca));
        // The 'http' profile only, as 'dotnet new web' puts first.
        builder.AddProject<Projects.LocalTls_TestWeb>("web", "http").WithLocalTls(tls);
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(3), ct);

        var issued = await app.ResourceNotifications.WaitForResourceAsync("web-tls", e => e.Snapshot.State?.Text is "Running" or "FailedToStart", ct).WaitAsync(TimeSpan.FromSeconds(90), ct);
        Assert.Equal("Running", issued.Snapshot.State?.Text);
        await app.ResourceNotifications.WaitForResourceAsync("web", e => e.Snapshot.State?.Text == KnownResourceStates.Running, ct).WaitAsync(TimeSpan.FromSeconds(90), ct);
        var https = app.GetEndpoint("web", "https");
        string? served = null;
        for (var attempt = 0; attempt < 50 && served is null; attempt++)
        {
            try
            {
                served = await ServedSerialAsync(https.Port, ct);
            }
            catch (SocketException) when (attempt < 49)
            {
                await Task.Delay(200, ct);
            }
        }

        Assert.Equal(Property(issued, "localtls.serial"), served);
        // The http endpoint the profile had is still served too.
        using var plain = new HttpClient();
        Assert.Equal("hello over http as localhost", await plain.GetStringAsync($"http://localhost:{app.GetEndpoint("web", "http").Port}/", ct));
        await app.StopAsync(ct);
    }
}
