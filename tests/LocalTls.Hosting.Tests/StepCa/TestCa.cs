using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LocalTls.Tests.StepCa;

/// <summary>A throwaway root and intermediate (ECDSA P-256) for tests, in the shape step-ca needs.</summary>
internal sealed record TestCa(string RootPem, string IntermediatePem, string IntermediateKeyPem, string RootFingerprint)
{
    private static readonly Lazy<TestCa> Shared = new(() => Create());

    /// <summary>One CA shared by the tests that do not care which.</summary>
    public static TestCa Default => Shared.Value;

    public static TestCa Create(string name = "LocalTls Test")
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest($"CN={name} Root CA", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var root = rootRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(30));

        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var intermediateRequest = new CertificateRequest($"CN={name} Intermediate CA", intermediateKey, HashAlgorithmName.SHA256);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        intermediateRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        intermediateRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(intermediateRequest.PublicKey, false));
        intermediateRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        using var intermediate = intermediateRequest.Create(root, now.AddMinutes(-5), now.AddDays(29), RandomNumberGenerator.GetBytes(16));

        return new TestCa(
            root.ExportCertificatePem() + "\n",
            intermediate.ExportCertificatePem() + "\n",
            intermediateKey.ExportPkcs8PrivateKeyPem() + "\n",
            Convert.ToHexStringLower(SHA256.HashData(root.RawData)));
    }
}

/// <summary>A temporary folder removed at dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("localtls-stepca-").FullName;
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
