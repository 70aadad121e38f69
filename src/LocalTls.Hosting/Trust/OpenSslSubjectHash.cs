using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;

namespace LocalTls.Trust;

/// <summary>
/// OpenSSL's subject name hash (<c>openssl x509 -hash</c>, X509_NAME_hash_ex), the file name OpenSSL looks up in a
/// certificate directory. Neither .NET nor BouncyCastle computes it, and running openssl for it would add a program
/// to the requirements, so it is done here: SHA-1 over the name's canonical encoding, the first four bytes little-endian.
/// </summary>
internal static class OpenSslSubjectHash
{
    public static string Of(Org.BouncyCastle.X509.X509Certificate certificate) => Of(certificate.SubjectDN);

    public static string Of(X509Name name)
    {
        var hash = SHA1.HashData(Canonical(name));
        var value = (uint)hash[0] | (uint)hash[1] << 8 | (uint)hash[2] << 16 | (uint)hash[3] << 24;
        return value.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The RDN SETs concatenated, without the outer SEQUENCE; every string value as a UTF8String, trimmed, with runs
    /// of white space made one space and ASCII lower-cased. Other value types are kept as they are.
    /// </summary>
    internal static byte[] Canonical(X509Name name)
    {
        using var output = new MemoryStream();
        var sequence = (Asn1Sequence)name.ToAsn1Object();
        foreach (var rdn in sequence)
        {
            var set = (Asn1Set)rdn;
            var entries = new List<Asn1Encodable>();
            foreach (var entry in set)
            {
                var pair = (Asn1Sequence)entry;
                entries.Add(new DerSequence(pair[0], CanonicalValue(pair[1])));
            }

            var encoded = new DerSet(entries.ToArray()).GetEncoded(Asn1Encodable.Der);
            output.Write(encoded);
        }

        return output.ToArray();
    }

    private static Asn1Encodable CanonicalValue(Asn1Encodable value)
    {
        // The string types OpenSSL canonicalises (ASN1_MASK_CANON).
        if (value is not (DerUtf8String or DerBmpString or DerUniversalString or DerPrintableString or DerT61String or DerIA5String or DerVisibleString))
        {
            return value;
        }

        var text = ((IAsn1String)value).GetString();
        var builder = new StringBuilder(text.Length);
        var pendingSpace = false;
        foreach (var c in text.Trim(' ', '\t', '\n', '\v', '\f', '\r'))
        {
            if (c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r')
            {
                pendingSpace = true;
                continue;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            builder.Append(c < 0x80 ? char.ToLowerInvariant(c) : c);
        }

        return new DerUtf8String(builder.ToString());
    }
}
