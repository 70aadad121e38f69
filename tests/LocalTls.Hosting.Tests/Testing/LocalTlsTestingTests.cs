using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using LocalTls.Pki;
using LocalTls.Testing;
using LocalTls.Tests.StepCa;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

namespace LocalTls.Tests.Testing;

/// <summary>The LocalTls.Testing fixtures against the playground AppHost in host mode, with a real step-ca and DCP.</summary>
public class LocalTlsTestingTests
{
    private static async Task<IDistributedApplicationTestingBuilder> PlaygroundAsync(TempDirectory dir, CancellationToken ct)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.LocalTls_Playground_AppHost>([$"--Playground:CaStore={dir.Combine("caroot")}"], ct);
        // The step-ca the tests use everywhere; a missing one fails here with how to get it.
        builder.CreateResourceBuilder(builder.Resources.OfType<StepCaResource>().Single()).WithExecutable(StepCaBinary.Path);
        return builder;
    }

    [Fact]
    public async Task The_fixture_client_gets_200_on_the_sslip_name_and_clients_without_exactly_that_root_are_refused()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var builder = await PlaygroundAsync(dir, ct);
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(3), ct);

        var issued = await app.WaitForCertificateAsync("web-tls", TimeSpan.FromMinutes(2), ct);
        var root = await app.GetLocalTlsRootAsync("step-ca", cancellationToken: ct);
        await app.ResourceNotifications.WaitForResourceAsync("web", KnownResourceStates.Running, ct).WaitAsync(TimeSpan.FromSeconds(90), ct);
        var port = app.GetEndpoint("web", "https").Port;
        var url = $"https://web.127.0.0.1.sslip.io:{port}/";

        using var client = root.CreateHttpClient();
        HttpResponseMessage? response = null;
        for (var attempt = 0; response is null; attempt++)
        {
            try
            {
                response = await client.GetAsync(url, ct);
            }
            catch (HttpRequestException) when (attempt < 50)
            {
                await Task.Delay(200, ct); // Kestrel may still be binding its port.
            }
        }

        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("Hello from web.127.0.0.1.sslip.io", await response.Content.ReadAsStringAsync(ct));
        }

        // The root and chain handed out are what the CA store and the server hold.
        Assert.Equal(new CaStore(dir.Combine("caroot")).Load().RootFingerprint, root.Fingerprint);
        var chain = issued.ReadChain();
        Assert.Equal(CertificateSerial.OpenSslForm(chain[0]), issued.SerialNumber);
        Assert.Equal(new DateTimeOffset(chain[0].NotAfter.ToUniversalTime()), issued.NotAfter);
        Assert.Equal(root.RootCertificatePem.Trim(), File.ReadAllText(Path.Combine(issued.Directory, "ca.crt")).Trim());
        Assert.True(chain[0].MatchesHostname("web.127.0.0.1.sslip.io"));
        Assert.Equal(2, chain.Count);
        Assert.Equal(chain[1].IssuerName.RawData, X509Certificate2.CreateFromPem(root.RootCertificatePem).SubjectName.RawData);

        // The same connection logic with the system's roots only: refused, because nothing there knows our root.
        using var systemHandler = root.CreateHandler();
        systemHandler.SslOptions.RemoteCertificateValidationCallback = null;
        using var systemClient = new HttpClient(systemHandler);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => systemClient.GetAsync(url, ct));
        Assert.IsType<AuthenticationException>(refused.InnerException);

        // Another LocalTls root is refused too: the fixture trusts exactly the app's root.
        var other = CaGenerator.Create();
        using var otherClient = new LocalTlsRoot(other.RootCertificatePem).CreateHttpClient();
        var foreign = await Assert.ThrowsAsync<HttpRequestException>(() => otherClient.GetAsync(url, ct));
        Assert.IsType<AuthenticationException>(foreign.InnerException);

        // Our root, but a name the certificate does not carry: refused.
        var wrongName = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"https://other.127.0.0.1.sslip.io:{port}/", ct));
        Assert.IsType<AuthenticationException>(wrongName.InnerException);
        await app.StopAsync(ct);
    }

    [Fact]
    public async Task Waiting_for_a_certificate_the_CA_refuses_fails_fast_with_its_problem()
    {
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var builder = await PlaygroundAsync(dir, ct);
        // The provisioner allows at most 90 days: a year is refused by step-ca when the order is finalized. WithDuration
        // refuses it where it is written, so the lifetime is set behind the builder's back to get step-ca's own refusal.
        var issuer = builder.CreateResourceBuilder(builder.Resources.OfType<CertificateResource>().Single(c => c.Name == "web-tls").Issuer!);
        builder.AddCertificate("year-tls", builder.AddSslipHostname("year-hostname", "year")).WithIssuer(issuer).Resource.Duration = TimeSpan.FromDays(365);
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(3), ct);

        var timeout = TimeSpan.FromMinutes(4);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        // "not-a-certificate" never turns Running: the failure of "year-tls" must end the wait without it.
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => app.WaitForCertificatesAsync(["web-tls", "not-a-certificate", "year-tls"], timeout, ct));
        watch.Stop();

        // The certificate retries every 30 s, so on a busy machine it may already be Issuing again: read a failed state.
        var state = await app.ResourceNotifications.WaitForResourceAsync("year-tls", e => e.Snapshot.State?.Text == KnownResourceStates.FailedToStart, ct).WaitAsync(TimeSpan.FromSeconds(90), ct);
        Assert.Equal(KnownResourceStates.FailedToStart, state.Snapshot.State?.Text);
        var problem = state.Snapshot.Properties.Single(p => p.Name == "localtls.problem").Value?.ToString();
        Assert.False(string.IsNullOrWhiteSpace(problem));
        Assert.Contains("'year-tls'", failure.Message);
        Assert.Contains(problem, failure.Message);
        Assert.True(watch.Elapsed < timeout / 2, $"the wait took {watch.Elapsed}");

        // A name that never turns Running times out, and the message says so.
        var timedOut = await Assert.ThrowsAsync<TimeoutException>(() => app.WaitForCertificateAsync("not-a-certificate", TimeSpan.FromSeconds(2), ct));
        Assert.Contains("no resource of that name", timedOut.Message);
        await app.StopAsync(ct);
    }
}
