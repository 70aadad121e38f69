using System.Security.Cryptography;
using System.Text;
using LocalTls;

namespace LocalTls.Acme;

/// <summary>
/// An ACME account key: ECDSA P-256 (ES256) by default; P-384 (ES384) and RSA (RS256) keys are read too. It
/// signs the requests (JWS), and its JWK thumbprint (RFC 7638) makes the key authorizations.
/// </summary>
internal sealed class AcmeAccountKey : IDisposable
{
    private readonly ECDsa? _ecdsa;
    private readonly RSA? _rsa;

    private AcmeAccountKey(ECDsa? ecdsa, RSA? rsa)
    {
        _ecdsa = ecdsa;
        _rsa = rsa;
        if (ecdsa is not null)
        {
            var p = ecdsa.ExportParameters(false);
            var (crv, alg, size) = p.Curve.Oid.Value switch
            {
                "1.2.840.10045.3.1.7" => ("P-256", "ES256", 32),
                "1.3.132.0.34" => ("P-384", "ES384", 48),
                _ => throw new ArgumentException($"ACME account keys must be ECDSA P-256 or P-384 (or RSA), not curve {p.Curve.Oid.FriendlyName ?? p.Curve.Oid.Value}."),
            };
            Algorithm = alg;
            CoordinateSize = size;
            JwkJson = Jwk.Ec(crv, p.Q.X!, p.Q.Y!);
        }
        else
        {
            var p = rsa!.ExportParameters(false);
            if (rsa.KeySize < 2048)
            {
                throw new ArgumentException($"RSA account keys must have at least 2048 bits (this one has {rsa.KeySize}); step-ca rejects smaller ones.");
            }

            Algorithm = "RS256";
            JwkJson = Jwk.Rsa(p.Exponent!, p.Modulus!);
        }

        Thumbprint = Jwk.Thumbprint(JwkJson);
    }

    /// <summary>The JWS algorithm: <c>ES256</c>, <c>ES384</c> or <c>RS256</c>.</summary>
    public string Algorithm { get; }

    /// <summary>The public key as a JWK in the canonical form of RFC 7638 (required members only, sorted, no white space).</summary>
    public string JwkJson { get; }

    /// <summary>The JWK SHA-256 thumbprint (RFC 7638), base64url.</summary>
    public string Thumbprint { get; }

    internal int CoordinateSize { get; }

    /// <summary>Creates a new ECDSA P-256 key.</summary>
    /// <returns>The key.</returns>
    public static AcmeAccountKey Create() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256), null);

    /// <summary>Reads a private key: PKCS#8 (<c>PRIVATE KEY</c>), SEC1 (<c>EC PRIVATE KEY</c>) or PKCS#1 (<c>RSA PRIVATE KEY</c>).</summary>
    /// <param name="pem">The PEM text.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException">The text is not an unencrypted ECDSA P-256/P-384 or RSA private key.</exception>
    public static AcmeAccountKey FromPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (pem.Contains("RSA PRIVATE KEY", StringComparison.Ordinal) || IsRsaPkcs8(pem))
        {
            var rsa = RSA.Create();
            try
            {
                rsa.ImportFromPem(pem);
                return new AcmeAccountKey(null, rsa);
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                rsa.Dispose();
                throw new ArgumentException($"The account key is not a readable RSA private key ({e.Message}). Write it as unencrypted PKCS#8 PEM.", e);
            }
        }

        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportFromPem(pem);
            return new AcmeAccountKey(ecdsa, null);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            ecdsa.Dispose();
            throw new ArgumentException(
                $"The account key is not an unencrypted ECDSA or RSA private key in PEM ({e.Message}). Remove the file to have a new key made, or write one with 'openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt'.",
                e);
        }
    }

    /// <summary>
    /// Where the account key for an ACME server is kept in a CA store: <c>{caRoot}/acme/{host}-{port}/account.key</c>.
    /// </summary>
    /// <param name="caRoot">The CA store directory (see <see cref="LocalTls.Pki.CaStore"/>).</param>
    /// <param name="directoryUrl">The server's ACME directory URL.</param>
    /// <returns>The path.</returns>
    public static string DefaultPath(string caRoot, Uri directoryUrl)
    {
        ArgumentNullException.ThrowIfNull(caRoot);
        ArgumentNullException.ThrowIfNull(directoryUrl);
        var host = directoryUrl.IdnHost.Replace(':', '_');
        return Path.Combine(caRoot, "acme", $"{host}-{directoryUrl.Port}", "account.key");
    }

    /// <summary>Loads the key at <paramref name="path"/>, or creates a P-256 key and writes it there (mode 0600) when there is none.</summary>
    /// <param name="path">The key file.</param>
    /// <param name="created">True when a new key was written.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException">The file exists and is not a usable key.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static AcmeAccountKey LoadOrCreate(string path, out bool created)
    {
        ArgumentNullException.ThrowIfNull(path);
        // Under a lock file beside the key: two certificates starting together must not each create (and register) one.
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var _ = LockFile(path + ".lock");
        if (File.Exists(path))
        {
            created = false;
            try
            {
                return FromPem(File.ReadAllText(path));
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{path}: {e.Message}", e);
            }
        }

        var key = Create();
        AtomicFiles.WriteAll([new FileToWrite(path, key.ExportPem(), Secret: true)], $"the ACME account key {path}");
        created = true;
        return key;
    }

    /// <summary>The account key path for a CA's provisioner: the same across runs whatever port the CA listens on.</summary>
    /// <param name="caRoot">The CA store directory.</param>
    /// <param name="rootFingerprint">The CA's root fingerprint.</param>
    /// <param name="directoryUrl">The ACME directory URL; only its path (the provisioner) is used.</param>
    public static string PathForCa(string caRoot, string rootFingerprint, Uri directoryUrl)
    {
        var provisioner = string.Join('-', directoryUrl.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p is not "acme" and not "directory"));
        return Path.Combine(caRoot, "acme", $"ca-{rootFingerprint[..16]}-{(provisioner.Length == 0 ? "default" : provisioner)}", "account.key");
    }

    private static FileStream LockFile(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (attempt < 200)
            {
                Thread.Sleep(25);
            }
        }
    }

    /// <summary>The private key as unencrypted PKCS#8 PEM.</summary>
    /// <returns>The PEM text.</returns>
    public string ExportPem() => _ecdsa is not null ? _ecdsa.ExportPkcs8PrivateKeyPem() : _rsa!.ExportPkcs8PrivateKeyPem();

    /// <summary>The key authorization for a challenge token: <c>token + "." + thumbprint</c> (RFC 8555 §8.1).</summary>
    /// <param name="token">The challenge's token.</param>
    /// <returns>The key authorization (the HTTP-01 response body).</returns>
    public string GetKeyAuthorization(string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        return token + "." + Thumbprint;
    }

    /// <summary>The DNS-01 TXT value for a key authorization: base64url(SHA-256(keyAuthorization)) (RFC 8555 §8.4).</summary>
    /// <param name="keyAuthorization">The key authorization.</param>
    /// <returns>The TXT record value.</returns>
    public static string GetDns01Value(string keyAuthorization)
    {
        ArgumentNullException.ThrowIfNull(keyAuthorization);
        return Base64Url.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(keyAuthorization)));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _ecdsa?.Dispose();
        _rsa?.Dispose();
    }

    /// <summary>Signs JWS signing input: ECDSA as r‖s (fixed width), RSA with PKCS#1 v1.5.</summary>
    internal byte[] Sign(byte[] data) => _ecdsa is not null
        ? _ecdsa.SignData(data, Algorithm == "ES384" ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
        : _rsa!.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    private static bool IsRsaPkcs8(string pem)
    {
        using var probe = RSA.Create();
        try
        {
            probe.ImportFromPem(pem);
            return true;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>JSON Web Keys in the canonical form of RFC 7638 §3.</summary>
internal static class Jwk
{
    public static string Ec(string crv, byte[] x, byte[] y) =>
        $"{{\"crv\":\"{crv}\",\"kty\":\"EC\",\"x\":\"{Base64Url.Encode(x)}\",\"y\":\"{Base64Url.Encode(y)}\"}}";

    public static string Rsa(byte[] exponent, byte[] modulus) =>
        $"{{\"e\":\"{Base64Url.Encode(TrimLeadingZeros(exponent))}\",\"kty\":\"RSA\",\"n\":\"{Base64Url.Encode(TrimLeadingZeros(modulus))}\"}}";

    public static string Thumbprint(string canonicalJwk) => Base64Url.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalJwk)));

    private static byte[] TrimLeadingZeros(byte[] value)
    {
        var i = 0;
        while (i < value.Length - 1 && value[i] == 0)
        {
            i++;
        }

        return value[i..];
    }
}
