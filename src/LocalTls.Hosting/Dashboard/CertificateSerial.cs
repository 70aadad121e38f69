using System.Security.Cryptography.X509Certificates;

namespace LocalTls;

/// <summary>A certificate's serial number as <c>openssl x509 -noout -serial</c> prints it, so the dashboard and a terminal agree.</summary>
internal static class CertificateSerial
{
    /// <summary>
    /// Upper-case hex of the serial's value: DER adds a leading <c>00</c> byte when the high bit is set
    /// (<see cref="X509Certificate2.SerialNumber"/> keeps it), openssl prints the integer without it.
    /// </summary>
    public static string OpenSslForm(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var bytes = certificate.SerialNumberBytes.Span;
        var start = 0;
        while (start < bytes.Length - 1 && bytes[start] == 0)
        {
            start++;
        }

        return Convert.ToHexString(bytes[start..]);
    }
}
