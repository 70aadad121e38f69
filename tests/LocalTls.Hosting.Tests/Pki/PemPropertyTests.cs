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
    public void Mutated_certificates_never_escape_as_anything_but_PkiException() =>
        AssertOnlyPkiExceptions(20261128, 3000, i => i % 2 == 0 ? Ca.RootCertificatePem : Ca.IntermediateCertificatePem, "certificate",
            input => Assert.NotNull(Pem.ReadCertificate(input, "certificate").SubjectDN));

    [Fact]
    public void Mutated_keys_never_escape_as_anything_but_PkiException() =>
        AssertOnlyPkiExceptions(8555, 2000, _ => Ca.IntermediateKeyPem, "key",
            input => Assert.True(Pem.ReadPrivateKey(input, "key").IsPrivate));

    /// <summary>Each mutated input is either read (checked by <paramref name="read"/>) or refused with a PkiException naming <paramref name="what"/>.</summary>
    private static void AssertOnlyPkiExceptions(int seed, int count, Func<int, string> original, string what, Action<string> read)
    {
        var random = new Random(seed);
        var readCount = 0;
        for (var i = 0; i < count; i++)
        {
            var input = Mutate(random, original(i));
            try
            {
                read(input);
                readCount++;
            }
            catch (PkiException e)
            {
                Assert.StartsWith($"The {what}", e.Message);
            }
        }

        // CRLF endings and harmless mutations still read: the loop exercised both outcomes.
        Assert.InRange(readCount, 1, count - 1);
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
