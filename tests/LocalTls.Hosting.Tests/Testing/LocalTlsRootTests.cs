using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using LocalTls.Pki;
using LocalTls.Testing;

namespace LocalTls.Tests.Testing;

/// <summary>The fixture's client against a TLS server on loopback whose certificate LocalTls's CA code issued; no Aspire.</summary>
public class LocalTlsRootTests
{
    /// <summary>Answers every request with 200 "ok" over TLS with the leaf and intermediate, until cancelled.</summary>
    private static async Task ServeAsync(TcpListener listener, SslStreamCertificateContext context, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            using var client = await listener.AcceptTcpClientAsync(ct);
            try
            {
                await using var tls = new SslStream(client.GetStream());
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = context }, ct);
                var buffer = new byte[4096];
                var request = new StringBuilder();
                while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var read = await tls.ReadAsync(buffer, ct);
                    if (read == 0)
                    {
                        break;
                    }

                    request.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }

                await tls.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray(), ct);
            }
            catch (Exception ex) when (ex is AuthenticationException or IOException)
            {
                // A client that refuses our certificate ends the handshake; serve the next one.
            }
        }
    }

    [Fact]
    public async Task A_nip_io_name_is_reached_at_its_address_without_DNS_and_trusted_through_the_root_alone()
    {
        var ct = TestContext.Current.CancellationToken;
        var ca = CaGenerator.Create();
        // 127.0.0.2 is loopback too, and the server listens only there. The test machines' resolver does not answer
        // nip.io names, so the request reaches it only through the address in the name.
        const string name = "svc.127.0.0.2.nip.io";
        var (cert, key) = CaGenerator.IssueLeaf(ca, [name], TimeSpan.FromHours(1));
        using var leaf = X509Certificate2.CreateFromPem(Pem.EncodeCertificate(cert), Pem.EncodePrivateKey(key));
        using var intermediate = X509Certificate2.CreateFromPem(ca.IntermediateCertificatePem);
        var context = SslStreamCertificateContext.Create(leaf, [intermediate], offline: true);
        var listener = new TcpListener(IPAddress.Parse("127.0.0.2"), 0);
        listener.Start();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var server = ServeAsync(listener, context, stop.Token);
        var url = $"https://{name}:{((IPEndPoint)listener.LocalEndpoint).Port}/";
        try
        {
            using var client = new LocalTlsRoot(ca.RootCertificatePem).CreateHttpClient();
            using var response = await client.GetAsync(url, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync(ct));

            // The same server through the fixture of another root: refused.
            using var other = new LocalTlsRoot(CaGenerator.Create().RootCertificatePem).CreateHttpClient();
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => other.GetAsync(url, ct));
            Assert.IsType<AuthenticationException>(refused.InnerException);
        }
        finally
        {
            await stop.CancelAsync();
            listener.Stop();
            try
            {
                await server;
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // How a stopped listener ends the accept loop.
            }
        }
    }

    [Fact]
    public void A_root_that_is_not_a_PEM_certificate_is_refused_with_what_to_pass()
    {
        var error = Assert.Throws<ArgumentException>(() => new LocalTlsRoot("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"));
        Assert.Contains("root_ca.crt", error.Message);
    }

    [Fact]
    public void The_fingerprint_is_the_one_the_CA_store_shows()
    {
        var ca = CaGenerator.Create();
        Assert.Equal(ca.RootFingerprint, new LocalTlsRoot(ca.RootCertificatePem).Fingerprint);
    }
}
