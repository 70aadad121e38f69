using System.Security.Cryptography.X509Certificates;

namespace LocalTls.Testing;

/// <summary>
/// A certificate that LocalTls issued in a running app, as its resource shows it on the dashboard
/// (<c>localtls.serial</c>, <c>localtls.notAfter</c>, <c>localtls.files</c>).
/// </summary>
public sealed class LocalTlsIssuedCertificate
{
    internal LocalTlsIssuedCertificate(string name, string serialNumber, DateTimeOffset notAfter, string directory)
    {
        Name = name;
        SerialNumber = serialNumber;
        NotAfter = notAfter;
        Directory = directory;
    }

    /// <summary>The certificate resource's name, e.g. <c>web-tls</c>.</summary>
    public string Name { get; }

    /// <summary>
    /// The leaf's serial number as <c>openssl x509 -noout -serial</c> prints it: upper-case hexadecimal without the
    /// leading <c>00</c> byte that <see cref="X509Certificate2.SerialNumber"/> keeps when the high bit is set.
    /// </summary>
    public string SerialNumber { get; }

    /// <summary>When the leaf expires.</summary>
    public DateTimeOffset NotAfter { get; }

    /// <summary>The folder holding <c>tls.crt</c> (leaf and intermediate), <c>tls.key</c>, <c>tls.pfx</c> and <c>ca.crt</c> (the root).</summary>
    public string Directory { get; }

    /// <summary>The chain the server presents, leaf first then the intermediate, in PEM (<c>tls.crt</c>).</summary>
    /// <example>
    /// <code>
    /// var issued = await app.WaitForCertificateAsync("web-tls");
    /// File.WriteAllText("chain.pem", issued.ReadChainPem());
    /// </code>
    /// </example>
    public string ReadChainPem() => File.ReadAllText(Path.Combine(Directory, "tls.crt"));

    /// <summary>The chain the server presents, leaf first then the intermediate, without private keys.</summary>
    /// <example>
    /// <code>
    /// var chain = (await app.WaitForCertificateAsync("web-tls")).ReadChain();
    /// Assert.True(chain[0].MatchesHostname("web.127.0.0.1.sslip.io"));
    /// </code>
    /// </example>
    public X509Certificate2Collection ReadChain()
    {
        var chain = new X509Certificate2Collection();
        chain.ImportFromPem(ReadChainPem());
        return chain;
    }
}
