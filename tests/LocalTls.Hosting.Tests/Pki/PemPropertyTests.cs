using LocalTls.Pki;

namespace LocalTls.Tests.Pki;

/// <summary>Generated inputs: the PEM loader either reads a certificate or key, or throws <see cref="PkiException"/>; nothing else.</summary>
public class PemPropertyTests
{
    private static readonly CaMaterial Ca = CaGenerator.Create();

    private static string Mutate(Random random, string pem)
    {
        var chars = pem.ToCharArray();
        switch (random.Next(7))
        {
            case 0:
                return pem[..random.Next(pem.Length)];
            case 1:
                for (var i = 0; i < 1 + random.Next(5); i++)
                {
                    chars[random.Next(chars.Length)] = (char)random.Next(32, 127);
                }

                return new string(chars);
            case 2:
                var lines = pem.Split('\n').ToList();
                lines.RemoveAt(random.Next(lines.Count));
                return string.Join('\n', lines);
            case 3:
                return pem.Replace("CERTIFICATE", random.Next(2) == 0 ? "CERTIFICATE REQUEST" : "PUBLIC KEY");
            case 4:
                var bytes = new byte[random.Next(1, 400)];
                random.NextBytes(bytes);
                return System.Text.Encoding.Latin1.GetString(bytes);
            case 5:
                return pem.Replace("\n", "\r\n");
            default:
                var body = new byte[random.Next(1, 300)];
                random.NextBytes(body);
                return $"-----BEGIN CERTIFICATE-----\n{Convert.ToBase64String(body)}\n-----END CERTIFICATE-----\n";
        }
    }

    [Fact]
    public void Mutated_certificates_never_escape_as_anything_but_PkiException()
    {
        var random = new Random(20261128);
        var read = 0;
        for (var i = 0; i < 3000; i++)
        {
            var input = Mutate(random, i % 2 == 0 ? Ca.RootCertificatePem : Ca.IntermediateCertificatePem);
            try
            {
                var certificate = Pem.ReadCertificate(input, "certificate");
                Assert.NotNull(certificate.SubjectDN);
                read++;
            }
            catch (PkiException e)
            {
                Assert.StartsWith("The certificate", e.Message);
            }
        }

        // CRLF endings and harmless mutations still read: the loop exercised both outcomes.
        Assert.InRange(read, 1, 2999);
    }

    [Fact]
    public void Mutated_keys_never_escape_as_anything_but_PkiException()
    {
        var random = new Random(8555);
        var read = 0;
        for (var i = 0; i < 2000; i++)
        {
            var input = Mutate(random, Ca.IntermediateKeyPem);
            try
            {
                var key = Pem.ReadPrivateKey(input, "key");
                Assert.True(key.IsPrivate);
                read++;
            }
            catch (PkiException e)
            {
                Assert.StartsWith("The key", e.Message);
            }
        }

        Assert.InRange(read, 1, 1999);
    }

    [Fact]
    public void Pem_round_trips_for_both_key_types()
    {
        foreach (var algorithm in new[] { CaKeyAlgorithm.EcdsaP256, CaKeyAlgorithm.Rsa3072 })
        {
            var ca = CaGenerator.Create(new CaOptions { KeyAlgorithm = algorithm });
            var key = Pem.ReadPrivateKey(ca.IntermediateKeyPem, "key");
            Assert.Equal(ca.IntermediateKeyPem, Pem.EncodePrivateKey(key));
            var encrypted = Pem.EncodeEncryptedPrivateKey(key, "pw");
            Assert.Equal(ca.IntermediateKeyPem, Pem.EncodePrivateKey(Pem.ReadPrivateKey(encrypted, "key", "pw")));
            Assert.Equal(ca.RootCertificatePem, Pem.EncodeCertificate(Pem.ReadCertificate(ca.RootCertificatePem, "root")));
        }
    }
}
