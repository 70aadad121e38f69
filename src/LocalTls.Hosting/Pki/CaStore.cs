using LocalTls;

namespace LocalTls.Pki;

/// <summary>
/// A directory that keeps one local development CA across runs, so that trust stays stable across clusters
/// and reinstalls (like mkcert's CAROOT). Created once, reused until rotated with <c>force</c>.
/// </summary>
/// <remarks>
/// Files: <c>root_ca.crt</c>, <c>root_ca.key</c> (optional), <c>intermediate_ca.crt</c>, <c>intermediate_ca.key</c>.
/// Keys are written with mode 0600.
/// </remarks>
internal sealed class CaStore
{
    /// <summary>The environment variable that chooses the CA store directory.</summary>
    public const string DirectoryVariable = "LOCALTLS_CAROOT";

    /// <summary>Opens the store at <paramref name="directory"/>, or at <see cref="DefaultDirectory"/> when it is <see langword="null"/>.</summary>
    public CaStore(string? directory = null)
    {
        Directory = Path.GetFullPath(string.IsNullOrWhiteSpace(directory) ? DefaultDirectory() : directory);
    }

    /// <summary>The store's directory.</summary>
    public string Directory { get; }

    /// <summary>Path of the root certificate.</summary>
    public string RootCertificatePath => Path.Combine(Directory, "root_ca.crt");

    /// <summary>Path of the root key, when kept.</summary>
    public string RootKeyPath => Path.Combine(Directory, "root_ca.key");

    /// <summary>Path of the intermediate certificate.</summary>
    public string IntermediateCertificatePath => Path.Combine(Directory, "intermediate_ca.crt");

    /// <summary>Path of the intermediate key.</summary>
    public string IntermediateKeyPath => Path.Combine(Directory, "intermediate_ca.key");

    /// <summary>Whether the store holds a CA.</summary>
    public bool Exists => File.Exists(RootCertificatePath) && File.Exists(IntermediateCertificatePath) && File.Exists(IntermediateKeyPath);

    /// <summary>
    /// <c>$LOCALTLS_CAROOT</c> when set; else the per-user data directory: <c>%LOCALAPPDATA%\localtls</c>,
    /// <c>~/Library/Application Support/localtls</c>, or <c>$XDG_DATA_HOME/localtls</c> (default <c>~/.local/share/localtls</c>).
    /// </summary>
    public static string DefaultDirectory()
    {
        var fromEnv = Environment.GetEnvironmentVariable(DirectoryVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            return fromEnv;
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (OperatingSystem.IsWindows())
        {
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "localtls");
        }

        if (OperatingSystem.IsMacOS())
        {
            return Path.Combine(home, "Library", "Application Support", "localtls");
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        return Path.Combine(string.IsNullOrWhiteSpace(xdg) ? Path.Combine(home, ".local", "share") : xdg, "localtls");
    }

    /// <summary>Loads the CA, checking it as an import would.</summary>
    /// <exception cref="PkiException">There is no CA here, or its files are damaged.</exception>
    public CaMaterial Load(TimeProvider? time = null)
    {
        if (!Exists)
        {
            throw new PkiException($"No CA in {Directory}. Create one with 'localtls ca init' (or set {DirectoryVariable} to the directory that has one).");
        }

        return Read(
            File.ReadAllText(RootCertificatePath),
            File.Exists(RootKeyPath) ? File.ReadAllText(RootKeyPath) : null,
            File.ReadAllText(IntermediateCertificatePath),
            File.ReadAllText(IntermediateKeyPath),
            password: null,
            time);
    }

    /// <summary>Loads the CA, or creates and saves one when the store is empty (or when <paramref name="force"/> rotates it).</summary>
    /// <example>
    /// <code>
    /// var ca = new CaStore().LoadOrCreate();
    /// Console.WriteLine(ca.RootFingerprint);
    /// </code>
    /// </example>
    public CaMaterial LoadOrCreate(CaOptions? options = null, bool force = false, TimeProvider? time = null)
    {
        // Bad options are an error even when the existing CA makes them moot: the user meant something.
        options?.Validate();
        using var _ = Lock();
        if (Exists && !force)
        {
            return Load(time);
        }

        var material = CaGenerator.Create(options, time);
        Save(material);
        return material;
    }

    /// <summary>
    /// Imports an existing CA (the seed's "reproducible environments"). Without an intermediate, the root key is
    /// required and a new intermediate is signed. Everything is checked before anything is written.
    /// </summary>
    /// <exception cref="PkiException">The material is not a usable CA, or the store already has a CA and <paramref name="force"/> is false.</exception>
    public CaMaterial Import(string rootCertificatePem, string? rootKeyPem, string? intermediateCertificatePem, string? intermediateKeyPem,
        string? password = null, bool force = false, CaOptions? options = null, TimeProvider? time = null)
    {
        var material = Read(rootCertificatePem, rootKeyPem, intermediateCertificatePem, intermediateKeyPem, password, time, options);

        using var _ = Lock();
        if (Exists && !force)
        {
            var current = Load(time);
            if (current.RootFingerprint != material.RootFingerprint || current.IntermediateCertificatePem != material.IntermediateCertificatePem)
            {
                throw new PkiException($"{Directory} already has a CA (root fingerprint {current.RootFingerprint}). Pass --force to replace it; clients that trust the old root will then need the new one.");
            }
        }

        Save(material);
        return material;
    }

    /// <summary>Writes the material into the store, all files or none.</summary>
    public void Save(CaMaterial material)
    {
        ArgumentNullException.ThrowIfNull(material);
        var files = new List<FileToWrite>
        {
            new(RootCertificatePath, material.RootCertificatePem),
            new(IntermediateCertificatePath, material.IntermediateCertificatePem),
            new(IntermediateKeyPath, material.IntermediateKeyPem, Secret: true),
        };
        if (material.RootKeyPem is not null)
        {
            files.Add(new(RootKeyPath, material.RootKeyPem, Secret: true));
        }

        AtomicFiles.WriteAll(files, $"the CA store {Directory}");
        if (material.RootKeyPem is null && File.Exists(RootKeyPath))
        {
            // A key that no longer matches the root must not stay beside it.
            File.Delete(RootKeyPath);
        }
    }

    internal static CaMaterial Read(string rootPem, string? rootKeyPem, string? intermediatePem, string? intermediateKeyPem, string? password, TimeProvider? time, CaOptions? options = null)
    {
        if (intermediatePem is null && intermediateKeyPem is null)
        {
            return RootOnly(rootPem, rootKeyPem, password, options, time);
        }

        if (intermediatePem is null || intermediateKeyPem is null)
        {
            throw new PkiException(intermediatePem is null
                ? "An intermediate key was given without its certificate: give both --intermediate and --intermediate-key, or neither to sign a new intermediate with the root key."
                : "An intermediate certificate was given without its key: give --intermediate-key too, or leave both out to sign a new intermediate with the root key.");
        }

        var now = (time ?? TimeProvider.System).GetUtcNow();
        var root = Pem.ReadCertificate(rootPem, "root certificate");
        var rootKey = rootKeyPem is null ? null : Pem.ReadPrivateKey(rootKeyPem, "root key", password);
        var intermediate = Pem.ReadCertificate(intermediatePem, "intermediate certificate");
        var intermediateKey = Pem.ReadPrivateKey(intermediateKeyPem, "intermediate key", password);
        CaValidator.ValidateRoot(root, rootKey, now);
        CaValidator.ValidateIntermediate(intermediate, intermediateKey, root, now);
        return new CaMaterial(root, rootKey, intermediate, intermediateKey);
    }

    private static CaMaterial RootOnly(string rootPem, string? rootKeyPem, string? password, CaOptions? options, TimeProvider? time)
    {
        var now = (time ?? TimeProvider.System).GetUtcNow();
        var root = Pem.ReadCertificate(rootPem, "root certificate");
        if (rootKeyPem is null)
        {
            throw new PkiException("Importing a root without an intermediate needs the root key, to sign a new intermediate: give --root-key, or give --intermediate and --intermediate-key.");
        }

        var rootKey = Pem.ReadPrivateKey(rootKeyPem, "root key", password);
        CaValidator.ValidateRoot(root, rootKey, now);
        var (intermediate, key) = CaGenerator.CreateIntermediate(root, rootKey, options ?? new CaOptions(), now);
        return new CaMaterial(root, rootKey, intermediate, key);
    }

    private FileStream Lock()
    {
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Could not create the CA store {Directory}: {e.Message} Set {DirectoryVariable} to a writable directory.", e);
        }

        // Two AppHosts starting at once must not both create a CA.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return new FileStream(Path.Combine(Directory, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(100);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new IOException($"The CA store {Directory} is not writable: {e.Message} Set {DirectoryVariable} to a writable directory.", e);
            }
        }
    }
}
