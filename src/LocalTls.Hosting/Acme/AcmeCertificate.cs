using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace LocalTls.Acme;

/// <summary>An issued certificate: the chain as the server sent it and the private key made for it.</summary>
internal sealed partial class AcmeCertificate
{
    internal AcmeCertificate(string certificateChainPem, string privateKeyPem, IReadOnlyList<AcmeIdentifier> identifiers, string challengeType)
    {
        CertificateChainPem = certificateChainPem;
        PrivateKeyPem = privateKeyPem;
        Identifiers = identifiers;
        ChallengeType = challengeType;
    }

    /// <summary>The full chain, PEM: the leaf first, then the intermediates (not the root).</summary>
    public string CertificateChainPem { get; }

    /// <summary>The certificate's private key (ECDSA P-256), unencrypted PKCS#8 PEM. Keep it secret.</summary>
    public string PrivateKeyPem { get; }

    /// <summary>The identifiers it was ordered for; the first is the subject's common name.</summary>
    public IReadOnlyList<AcmeIdentifier> Identifiers { get; }

    /// <summary>The challenge type that validated the names.</summary>
    public string ChallengeType { get; }

    /// <summary>The order URL.</summary>
    public Uri OrderUrl { get; init; } = null!;

    /// <summary>The certificate URL.</summary>
    public Uri CertificateUrl { get; init; } = null!;

    /// <summary>The account URL (the JWS <c>kid</c>) the certificate was ordered with.</summary>
    public Uri AccountUrl { get; init; } = null!;

    /// <summary>How many requests of this issuance (with <see cref="AcmeIssuance"/>: account lookup included) were sent again because the server answered <c>badNonce</c>.</summary>
    public int BadNonceRetries { get; internal set; }

    /// <summary>How long the issuance took.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Each certificate of the chain as its own PEM block, leaf first.</summary>
    public IReadOnlyList<string> ChainPemBlocks => [.. CertificateBlock().Matches(CertificateChainPem).Select(m => m.Value + "\n")];

    /// <summary>The leaf certificate with its private key.</summary>
    /// <returns>A new certificate object; the caller disposes it.</returns>
    public X509Certificate2 GetCertificate() => X509Certificate2.CreateFromPem(ChainPemBlocks[0], PrivateKeyPem);

    /// <summary>The intermediates the server sent after the leaf.</summary>
    /// <returns>A new collection; the caller disposes its certificates.</returns>
    public X509Certificate2Collection GetIntermediates()
    {
        var collection = new X509Certificate2Collection();
        foreach (var block in ChainPemBlocks.Skip(1))
        {
            collection.Add(X509Certificate2.CreateFromPem(block));
        }

        return collection;
    }

    [GeneratedRegex("-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\\s]+?-----END CERTIFICATE-----")]
    private static partial Regex CertificateBlock();
}
