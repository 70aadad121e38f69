using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using LocalTls.Sslip;

namespace LocalTls.Testing;

/// <summary>
/// The root of a LocalTls CA, and HTTP clients that trust exactly that root (no system roots) and reach sslip.io and
/// nip.io names offline, at the address the name contains.
/// </summary>
public sealed class LocalTlsRoot
{
    private readonly X509Certificate2 _root;

    /// <summary>Creates the trust for one root certificate.</summary>
    /// <param name="rootCertificatePem">The root CA certificate in PEM, e.g. the CA store's <c>root_ca.crt</c>.</param>
    /// <exception cref="ArgumentException">The text is not a PEM certificate.</exception>
    /// <example>
    /// <code>
    /// var root = new LocalTlsRoot(File.ReadAllText("caroot/root_ca.crt"));
    /// </code>
    /// </example>
    public LocalTlsRoot(string rootCertificatePem)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rootCertificatePem);
        try
        {
            _root = X509Certificate2.CreateFromPem(rootCertificatePem);
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw new ArgumentException($"Not a PEM certificate: {ex.Message} Pass the CA's root_ca.crt, which starts with '-----BEGIN CERTIFICATE-----'.", nameof(rootCertificatePem), ex);
        }

        RootCertificatePem = rootCertificatePem;
    }

    /// <summary>The root certificate in PEM.</summary>
    public string RootCertificatePem { get; }

    /// <summary>The root's SHA-256 fingerprint in lower-case hex, as step-ca and <c>localtls ca show</c> print it.</summary>
    public string Fingerprint => Convert.ToHexStringLower(_root.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256));

    /// <summary>
    /// A handler for your own <see cref="HttpClient"/>: it accepts a server certificate only when it chains to this
    /// root and matches the host name, and connects to <c>*.sslip.io</c> and <c>*.nip.io</c> names at the address they
    /// contain without a DNS lookup (other names resolve as usual).
    /// </summary>
    /// <example>
    /// <code>
    /// var root = await app.GetLocalTlsRootAsync("step-ca");
    /// using var client = new HttpClient(root.CreateHandler()) { Timeout = TimeSpan.FromSeconds(10) };
    /// </code>
    /// </example>
    public SocketsHttpHandler CreateHandler()
    {
        var root = X509CertificateLoader.LoadCertificate(_root.RawData);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    if (SslipHostname.TryParse(context.DnsEndPoint.Host, out var sslip, out _))
                    {
                        await socket.ConnectAsync(sslip.Address, context.DnsEndPoint.Port, ct);
                    }
                    else
                    {
                        await socket.ConnectAsync(context.DnsEndPoint, ct);
                    }

                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, presented, errors) =>
            (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None && ChainsTo(root, certificate, presented);
        return handler;
    }

    /// <summary>An <see cref="HttpClient"/> over <see cref="CreateHandler"/>.</summary>
    /// <example>
    /// <code>
    /// using var client = (await app.GetLocalTlsRootAsync("step-ca")).CreateHttpClient();
    /// var response = await client.GetAsync($"https://web.127.0.0.1.sslip.io:{app.GetEndpoint("web", "https").Port}/");
    /// </code>
    /// </example>
    public HttpClient CreateHttpClient() => new(CreateHandler(), disposeHandler: true);

    // The system's verdict on the chain is replaced by one that knows only this root; name checks stay the system's.
    private static bool ChainsTo(X509Certificate2 root, X509Certificate? certificate, X509Chain? presented)
    {
        if (certificate is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        foreach (var element in presented?.ChainElements ?? (IEnumerable<X509ChainElement>)[])
        {
            chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}
