namespace LocalTls.StepCa;

/// <summary>
/// Where step-ca's files live: <c>config/ca.json</c>, <c>config/defaults.json</c>, <c>certs/root_ca.crt</c>,
/// <c>certs/intermediate_ca.crt</c>, <c>secrets/intermediate_ca_key</c>, <c>secrets/password</c> and the
/// <c>db/</c> folder, under one root folder. The paths are the ones the step-ca process sees: they go into
/// <c>ca.json</c> and onto its command line.
/// </summary>
/// <remarks>
/// <see cref="Container"/> is the layout of the smallstep image and Helm chart (<c>STEPPATH=/home/step</c>);
/// <see cref="Host(string)"/> is the same layout under a folder of this machine. <see cref="MapTo(string)"/>
/// moves a layout onto a folder of this machine, keeping its structure, so a container configuration can be
/// booted by a step-ca running on the host.
/// </remarks>
internal sealed class StepCaLayout : IEquatable<StepCaLayout>
{
    /// <summary>The CA configuration, relative to the root.</summary>
    public const string CaConfigFile = "config/ca.json";

    /// <summary>The step CLI defaults (<c>ca-url</c>, <c>fingerprint</c>, …), relative to the root.</summary>
    public const string DefaultsFile = "config/defaults.json";

    /// <summary>The root certificate, relative to the root.</summary>
    public const string RootCertificateFile = "certs/root_ca.crt";

    /// <summary>The intermediate certificate step-ca signs with, relative to the root.</summary>
    public const string IntermediateCertificateFile = "certs/intermediate_ca.crt";

    /// <summary>The intermediate private key, relative to the root.</summary>
    public const string IntermediateKeyFile = "secrets/intermediate_ca_key";

    /// <summary>The password of an encrypted intermediate key, relative to the root.</summary>
    public const string PasswordFile = "secrets/password";

    /// <summary>The database folder, relative to the root.</summary>
    public const string DbFolder = "db";

    /// <summary>The root folder of the smallstep container image and Helm chart.</summary>
    public const string ContainerRoot = "/home/step";

    private StepCaLayout(string root, bool posix, StepCaLayout? mappedFrom)
    {
        Root = root;
        IsPosix = posix;
        MappedFrom = mappedFrom;
    }

    /// <summary>The layout inside the smallstep container image: <c>/home/step/{config,certs,secrets,db}</c>.</summary>
    public static StepCaLayout Container { get; } = new(ContainerRoot, posix: true, mappedFrom: null);

    /// <summary>The same layout under a folder of this machine, for a step-ca running on the host.</summary>
    /// <param name="directory">The folder; a relative path is made absolute against the current directory.</param>
    /// <exception cref="ArgumentException">The folder is empty.</exception>
    public static StepCaLayout Host(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return new StepCaLayout(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)), posix: !OperatingSystem.IsWindows(), mappedFrom: null);
    }

    /// <summary>The root folder, as the step-ca process sees it.</summary>
    public string Root { get; }

    /// <summary>Whether the paths use <c>/</c> (a container, or a Unix host) rather than the Windows separator.</summary>
    public bool IsPosix { get; }

    /// <summary>The layout this one was mapped from by <see cref="MapTo(string)"/>, or <see langword="null"/>.</summary>
    public StepCaLayout? MappedFrom { get; }

    /// <summary>The <c>config</c> folder.</summary>
    public string ConfigDirectory => Resolve("config");

    /// <summary>The <c>certs</c> folder.</summary>
    public string CertsDirectory => Resolve("certs");

    /// <summary>The <c>secrets</c> folder.</summary>
    public string SecretsDirectory => Resolve("secrets");

    /// <summary>The database folder: <c>db.dataSource</c> of badger.</summary>
    public string DbDirectory => Resolve(DbFolder);

    /// <summary>The path of <c>ca.json</c>: step-ca's first argument.</summary>
    public string CaConfigPath => Resolve(CaConfigFile);

    /// <summary>The path of <c>defaults.json</c>.</summary>
    public string DefaultsPath => Resolve(DefaultsFile);

    /// <summary>The path of the root certificate (<c>root</c> in <c>ca.json</c>).</summary>
    public string RootCertificatePath => Resolve(RootCertificateFile);

    /// <summary>The path of the intermediate certificate (<c>crt</c> in <c>ca.json</c>).</summary>
    public string IntermediateCertificatePath => Resolve(IntermediateCertificateFile);

    /// <summary>The path of the intermediate key (<c>key</c> in <c>ca.json</c>).</summary>
    public string IntermediateKeyPath => Resolve(IntermediateKeyFile);

    /// <summary>The path of the password file (<c>--password-file</c>).</summary>
    public string PasswordPath => Resolve(PasswordFile);

    /// <summary>
    /// The same structure rooted at a folder of this machine. The result's paths are host paths, so a
    /// <c>ca.json</c> rendered for it runs on the host; <see cref="MappedFrom"/> remembers this layout.
    /// </summary>
    /// <param name="directory">The host folder standing in for <see cref="Root"/>.</param>
    public StepCaLayout MapTo(string directory)
    {
        var host = Host(directory);
        return new StepCaLayout(host.Root, host.IsPosix, this);
    }

    /// <summary>A path under the root, from a path relative to it written with <c>/</c>.</summary>
    /// <param name="relativePath">For example <see cref="CaConfigFile"/>.</param>
    /// <exception cref="ArgumentException">The path is empty, rooted, or climbs out of the root with <c>..</c>.</exception>
    public string Resolve(string relativePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(relativePath);
        var parts = relativePath.Split('/', '\\');
        if (relativePath.StartsWith('/') || relativePath.StartsWith('\\') || Path.IsPathRooted(relativePath) || parts.Any(p => p is "" or "." or ".."))
        {
            throw new ArgumentException($"'{relativePath}' must be a relative path inside the layout, like 'config/ca.json'.", nameof(relativePath));
        }

        var separator = IsPosix ? "/" : "\\";
        return Root.EndsWith(separator, StringComparison.Ordinal)
            ? Root + string.Join(separator, parts)
            : Root + separator + string.Join(separator, parts);
    }

    /// <inheritdoc />
    public bool Equals(StepCaLayout? other) =>
        other is not null && Root == other.Root && IsPosix == other.IsPosix && Equals(MappedFrom, other.MappedFrom);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as StepCaLayout);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Root, IsPosix, MappedFrom);

    /// <inheritdoc />
    public override string ToString() => MappedFrom is null ? Root : $"{Root} (mapped from {MappedFrom.Root})";
}
