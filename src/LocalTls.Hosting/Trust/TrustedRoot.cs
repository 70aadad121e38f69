using System.Security.Cryptography;
using LocalTls.Pki;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace LocalTls.Trust;

/// <summary>
/// The root certificate to trust, checked as a CA before any store is touched, and the names it goes by in the
/// stores (each derived from its SHA-256 fingerprint, so uninstall finds exactly what install added).
/// </summary>
internal sealed class TrustedRoot
{
    private TrustedRoot(string path, string pem, BcCertificate certificate)
    {
        Path = path;
        Pem = pem;
        Certificate = certificate;
        Fingerprint = Convert.ToHexStringLower(SHA256.HashData(certificate.GetEncoded()));
        Sha1 = Convert.ToHexString(SHA1.HashData(certificate.GetEncoded()));
        CommonName = LocalTls.Pki.Pem.CommonName(certificate);
    }

    /// <summary>The PEM file, an absolute path: what <c>NODE_EXTRA_CA_CERTS</c> and the tools are given.</summary>
    public string Path { get; }

    /// <summary>The root alone, PEM encoded.</summary>
    public string Pem { get; }

    public BcCertificate Certificate { get; }

    /// <summary>SHA-256 of the DER, lower-case hex (as <c>localtls ca show</c> prints it).</summary>
    public string Fingerprint { get; }

    /// <summary>SHA-1 of the DER, upper-case hex: how the macOS <c>security</c> tool names a certificate.</summary>
    public string Sha1 { get; }

    public string CommonName { get; }

    /// <summary>The NSS nickname and Java alias: ours, and unique to this root.</summary>
    public string UniqueName => $"localtls-root-{Fingerprint}";

    /// <summary>The file name stem in system anchor directories.</summary>
    public string FileStem => $"localtls-root-{Fingerprint[..16]}";

    /// <summary>Reads and checks a root: PEM, a certificate, a self-signed CA that may sign certificates, valid now.</summary>
    /// <exception cref="PkiException">It is not; the message says what to give instead.</exception>
    public static TrustedRoot Load(string path, TimeProvider? time = null)
    {
        var full = System.IO.Path.GetFullPath(path);
        string text;
        try
        {
            text = File.ReadAllText(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PkiException($"Could not read the root certificate {full}: {e.Message} Give a readable PEM file with --root, or create the CA with 'localtls ca init'.");
        }

        var what = $"root certificate ({full})";
        var certificate = LocalTls.Pki.Pem.ReadCertificate(text, what);
        CaValidator.ValidateRoot(certificate, null, (time ?? TimeProvider.System).GetUtcNow());
        return new TrustedRoot(full, LocalTls.Pki.Pem.EncodeCertificate(certificate), certificate);
    }

    /// <summary>Whether a large PEM bundle (hundreds of roots, comments between them) holds this root: its base64 DER, white space ignored.</summary>
    public bool IsInBundle(string bundle)
    {
        var der = Convert.ToBase64String(Certificate.GetEncoded());
        return string.Concat(bundle.Where(c => !char.IsWhiteSpace(c))).Contains(der, StringComparison.Ordinal);
    }

    /// <summary>Whether a PEM text holds this root (among other certificates, perhaps).</summary>
    public bool IsIn(string pem)
    {
        try
        {
            return LocalTls.Pki.Pem.ReadCertificates(pem, "file").Any(c => c.Equals(Certificate));
        }
        catch (PkiException)
        {
            return false;
        }
    }
}
