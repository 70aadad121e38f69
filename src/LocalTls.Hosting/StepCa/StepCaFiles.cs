using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LocalTls;
using LocalTls.Pki;

namespace LocalTls.StepCa;

/// <summary>One file of a step-ca installation.</summary>
/// <param name="RelativePath">The path under the layout's root, with <c>/</c>, e.g. <c>config/ca.json</c>.</param>
/// <param name="Content">The text of the file.</param>
/// <param name="IsSecret">Whether the file is a key or password: written 0600, and a Kubernetes Secret rather than a ConfigMap.</param>
internal sealed record StepCaFile(string RelativePath, string Content, bool IsSecret);

/// <summary>Every file a step-ca needs, rendered for one layout.</summary>
internal sealed class StepCaFileSet
{
    internal StepCaFileSet(StepCaLayout layout, IReadOnlyList<StepCaFile> files, bool passwordProtected, string rootFingerprint)
    {
        Layout = layout;
        Files = files;
        PasswordProtected = passwordProtected;
        RootFingerprint = rootFingerprint;
    }

    /// <summary>The layout the paths inside the files refer to.</summary>
    public StepCaLayout Layout { get; }

    /// <summary>The files, in the order they are written: certificates and keys first, <c>ca.json</c> last.</summary>
    public IReadOnlyList<StepCaFile> Files { get; }

    /// <summary>Whether the intermediate key is encrypted, so step-ca needs <c>--password-file</c>.</summary>
    public bool PasswordProtected { get; }

    /// <summary>The root's SHA-256 fingerprint, lower-case hex, as step-ca prints it.</summary>
    public string RootFingerprint { get; }

    /// <summary>The step-ca arguments for these files (see <see cref="StepCaCommandLine.Arguments"/>).</summary>
    /// <param name="resolver">An optional DNS resolver, <c>host:port</c>.</param>
    public IReadOnlyList<string> Arguments(string? resolver = null) => StepCaCommandLine.Arguments(Layout, PasswordProtected, resolver);

    /// <summary>The file at a relative path, or <see langword="null"/>.</summary>
    public StepCaFile? this[string relativePath] => Files.FirstOrDefault(f => f.RelativePath == relativePath);
}

/// <summary>Renders step-ca's files from CA material and writes them to disk atomically.</summary>
internal static class StepCaFiles
{
    /// <summary>
    /// Renders the files for CA material from <see cref="CaGenerator"/> or the CA store (see
    /// <see cref="Render(StepCaLayout, StepCaOptions, string, string, string, string?, Uri?)"/>).
    /// The root key, if the material has it, is never written.
    /// </summary>
    /// <exception cref="StepCaConfigurationException">The options are not valid.</exception>
    /// <exception cref="StepCaException">The password cannot be used.</exception>
    public static StepCaFileSet Render(StepCaLayout layout, StepCaOptions options, CaMaterial material, string? password = null, Uri? caUrl = null)
    {
        ArgumentNullException.ThrowIfNull(material);
        ArgumentNullException.ThrowIfNull(options);
        var forbidden = (options.DnsNames ?? []).Where(n => !string.IsNullOrWhiteSpace(n) && !material.Permits(n.Trim())).ToList();
        if (forbidden.Count > 0)
        {
            throw new StepCaException(
                $"The root's name constraints do not permit {string.Join(", ", forbidden.Select(n => $"'{n}'"))} in StepCaOptions.DnsNames, so every client (Go, OpenSSL, .NET) would reject step-ca's own certificate. " +
                $"Remove {(forbidden.Count == 1 ? "it" : "them")} from DnsNames, or create the CA with {(forbidden.Count == 1 ? "it" : "them")} in CaOptions.PermittedDnsDomains / PermittedIpRanges. Permitted: {material.NameConstraints}.");
        }

        return Render(layout, options, material.RootCertificatePem, material.IntermediateCertificatePem, material.IntermediateKeyPem, password, caUrl);
    }

    /// <summary>Renders the files for CA material and writes them under the layout's root (see <see cref="Write(StepCaFileSet, string)"/>).</summary>
    /// <returns>What was written; <see cref="StepCaFileSet.Arguments"/> gives step-ca's command line.</returns>
    /// <exception cref="StepCaException">The inputs are not valid, or the folder cannot be written.</exception>
    public static StepCaFileSet Write(StepCaLayout layout, StepCaOptions options, CaMaterial material, string? password = null)
    {
        var files = Render(layout, options, material, password);
        Write(files, layout.Root);
        return files;
    }

    /// <summary>
    /// Renders the files: root and intermediate certificates, the intermediate key (encrypted when
    /// <paramref name="password"/> is given, plus <c>secrets/password</c>), <c>defaults.json</c> and <c>ca.json</c>.
    /// </summary>
    /// <param name="layout">The layout as step-ca sees it (paths inside <c>ca.json</c>).</param>
    /// <param name="options">What goes into <c>ca.json</c>.</param>
    /// <param name="rootCertificatePem">The root certificate, PEM.</param>
    /// <param name="intermediateCertificatePem">The intermediate certificate, PEM.</param>
    /// <param name="intermediateKeyPem">The intermediate private key, PEM (PKCS#8, SEC1 EC or PKCS#1 RSA; encrypted PKCS#8 when <paramref name="password"/> is its password).</param>
    /// <param name="password">When given, the key is written as encrypted PKCS#8 (PBES2, PBKDF2-SHA256, AES-256-CBC) and step-ca gets <c>--password-file</c>.</param>
    /// <param name="caUrl">The <c>ca-url</c> of <c>defaults.json</c>; default <see cref="StepCaConfig.BaseUrl(StepCaOptions)"/>.</param>
    /// <exception cref="StepCaConfigurationException">The options are not valid.</exception>
    /// <exception cref="StepCaException">A PEM input is not what it should be, or the password cannot be used.</exception>
    public static StepCaFileSet Render(
        StepCaLayout layout,
        StepCaOptions options,
        string rootCertificatePem,
        string intermediateCertificatePem,
        string intermediateKeyPem,
        string? password = null,
        Uri? caUrl = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(options);
        var caJson = StepCaConfig.RenderCaJson(layout, options);
        var fingerprint = Fingerprint(rootCertificatePem, "root certificate");
        RequireCertificate(intermediateCertificatePem, "intermediate certificate");
        var (keyLabel, _) = RequireBlock(intermediateKeyPem, "intermediate key", label => label.EndsWith("PRIVATE KEY", StringComparison.Ordinal), "'-----BEGIN PRIVATE KEY-----'");
        if (password is null && keyLabel == "ENCRYPTED PRIVATE KEY")
        {
            throw new StepCaException("The intermediate key is encrypted but no password was given: pass its password, so step-ca is started with --password-file.");
        }

        var files = new List<StepCaFile>
        {
            new(StepCaLayout.RootCertificateFile, Normalize(rootCertificatePem), false),
            new(StepCaLayout.IntermediateCertificateFile, Normalize(intermediateCertificatePem), false),
        };
        if (password is null)
        {
            files.Add(new(StepCaLayout.IntermediateKeyFile, Normalize(intermediateKeyPem), true));
        }
        else
        {
            ValidatePassword(password);
            files.Add(new(StepCaLayout.IntermediateKeyFile, StepCaKeyEncryption.Encrypt(intermediateKeyPem, password), true));
            files.Add(new(StepCaLayout.PasswordFile, password, true));
        }

        files.Add(new(StepCaLayout.DefaultsFile, StepCaConfig.RenderDefaultsJson(layout, caUrl ?? StepCaConfig.BaseUrl(options), fingerprint), false));
        files.Add(new(StepCaLayout.CaConfigFile, caJson, false));
        return new StepCaFileSet(layout, files, password is not null, fingerprint);
    }

    /// <summary>
    /// Renders the files for a layout on this machine and writes them under its root
    /// (see <see cref="Write(StepCaFileSet, string)"/>).
    /// </summary>
    /// <returns>What was written; <see cref="StepCaFileSet.Arguments"/> gives step-ca's command line.</returns>
    /// <exception cref="StepCaException">The inputs are not valid, or the folder cannot be written.</exception>
    public static StepCaFileSet Write(
        StepCaLayout layout,
        StepCaOptions options,
        string rootCertificatePem,
        string intermediateCertificatePem,
        string intermediateKeyPem,
        string? password = null)
    {
        var files = Render(layout, options, rootCertificatePem, intermediateCertificatePem, intermediateKeyPem, password);
        Write(files, layout.Root);
        return files;
    }

    /// <summary>
    /// Writes a file set under <paramref name="directory"/> (for a container: the host folder mounted at
    /// <c>/home/step</c>). Creates <c>config</c>, <c>certs</c>, <c>secrets</c> (0700) and <c>db</c> (0700);
    /// every file is first written to a temporary file beside it (keys and password with mode 0600 on Unix), and
    /// only when all are on disk are they renamed over the old ones, <c>ca.json</c> last, so a reader never sees a
    /// half-written file. A stale
    /// <c>secrets/password</c> is removed when the key is not encrypted. The database is left alone.
    /// </summary>
    /// <exception cref="StepCaException">The folder cannot be created or written; the message names it.</exception>
    public static void Write(StepCaFileSet files, string directory)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var root = Path.GetFullPath(directory);
        var target = StepCaLayout.Host(root);
        string current = root;
        try
        {
            foreach (var (folder, secret) in new[] { (target.ConfigDirectory, false), (target.CertsDirectory, false), (target.SecretsDirectory, true), (target.DbDirectory, true) })
            {
                current = folder;
                CreateDirectory(folder, secret);
            }

            try
            {
                AtomicFiles.WriteAll([.. files.Files.Select(f => new FileToWrite(target.Resolve(f.RelativePath), f.Content, f.IsSecret))], $"step-ca's files under '{root}'");
            }
            catch (IOException e)
            {
                // AtomicFiles' message already names the folder and says what to do.
                throw new StepCaException(e.Message, e);
            }

            if (!files.PasswordProtected)
            {
                current = target.PasswordPath;
                File.Delete(current);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StepCaException(
                $"Cannot write step-ca's files under '{root}' (at '{current}'): {e.Message} Choose a folder this process can create and write, or fix its permissions.", e);
        }
    }

    internal static string Fingerprint(string certificatePem, string what)
    {
        var der = RequireCertificate(certificatePem, what);
        return Convert.ToHexStringLower(SHA256.HashData(der));
    }

    private static byte[] RequireCertificate(string pem, string what)
    {
        var (_, der) = RequireBlock(pem, what, label => label == "CERTIFICATE", "'-----BEGIN CERTIFICATE-----'");
        try
        {
            using var certificate = X509CertificateLoader.LoadCertificate(der);
            return certificate.RawData;
        }
        catch (CryptographicException e)
        {
            throw new StepCaException($"The {what} is not a valid X.509 certificate ({e.Message}). Export it again as PEM.", e);
        }
    }

    private static (string Label, byte[] Der) RequireBlock(string pem, string what, Func<string, bool> accept, string expected)
    {
        if (string.IsNullOrWhiteSpace(pem))
        {
            throw new StepCaException($"The {what} is empty: it must be PEM text starting with {expected}.");
        }

        var text = pem.AsSpan();
        while (PemEncoding.TryFind(text, out var fields))
        {
            var label = text[fields.Label].ToString();
            if (accept(label))
            {
                var der = new byte[fields.DecodedDataLength];
                if (!Convert.TryFromBase64Chars(text[fields.Base64Data], der, out var written))
                {
                    throw new StepCaException($"The {what} has a '{label}' block whose base64 is broken. Export it again as PEM.");
                }

                return (label, der[..written]);
            }

            text = text[fields.Location.End.Value..];
        }

        throw new StepCaException($"The {what} has no {expected} block. Give it as PEM text.");
    }

    private static void ValidatePassword(string password)
    {
        if (password.Length == 0)
        {
            throw new StepCaException("The intermediate key password is empty: give a non-empty password, or null to leave the key unencrypted.");
        }

        if (password.Length != password.TrimEnd().Length)
        {
            throw new StepCaException("The intermediate key password ends with whitespace, which step-ca strips when it reads --password-file: remove the trailing whitespace.");
        }
    }

    private static string Normalize(string pem)
    {
        var text = pem.ReplaceLineEndings("\n").Trim();
        return text + "\n";
    }

    private static void CreateDirectory(string path, bool secret)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        var mode = secret
            ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        if (Directory.Exists(path))
        {
            if (secret)
            {
                File.SetUnixFileMode(path, mode);
            }

            return;
        }

        Directory.CreateDirectory(path, mode);
    }
}
