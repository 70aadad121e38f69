using System.Security.Cryptography.X509Certificates;
using LocalTls.Pki;

namespace LocalTls.Tests.TestSupport;

/// <summary>TLS server validation that trusts one CA's root and nothing else: what a client that imported only our root sees.</summary>
internal static class OnlyRoot
{
    public static bool Accepts(CaMaterial ca, X509Certificate? certificate, X509Chain? presented)
    {
        if (certificate is not X509Certificate2 leaf)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca.GetRootCertificate());
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        foreach (var element in presented?.ChainElements ?? (IEnumerable<X509ChainElement>)[])
        {
            chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }

        return chain.Build(leaf);
    }
}
