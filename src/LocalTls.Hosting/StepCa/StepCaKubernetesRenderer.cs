using System.Security.Cryptography;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using k8s;
using k8s.Models;
using LocalTls.Pki;

namespace LocalTls.StepCa;

/// <summary>
/// Renders a <see cref="StepCaResource"/> into the Kubernetes objects that run it: a pure function of the model
/// and the CA material. Cluster apply, publish and tests all use this output.
/// </summary>
internal static class StepCaKubernetesRenderer
{
    internal const string ManagedBy = "localtls";
    private const string HttpsPortName = "https";
    private const long StepUserId = 1000;

    /// <summary>The step-ca options for a CA in its cluster: listening on its port, answering to its Service names.</summary>
    public static StepCaOptions OptionsFor(StepCaResource ca)
    {
        ArgumentNullException.ThrowIfNull(ca);
        var names = new List<string> { ca.ServiceHost, $"{ca.ServiceName}.{ca.Namespace}.svc" };
        names.AddRange(ca.ExtraDnsNames.Where(n => !names.Contains(n)));
        return new StepCaOptions
        {
            Address = $":{ca.Port}",
            DnsNames = names,
            Claims = ca.Claims,
            Provisioners = ca.Provisioners.Count > 0 ? [.. ca.Provisioners] : [new AcmeProvisionerOptions()],
        };
    }

    /// <summary>The files step-ca reads, for the container layout (<c>/home/step/…</c>).</summary>
    public static StepCaFileSet FilesFor(StepCaResource ca, CaMaterial material, string? keyPassword = null) =>
        StepCaFiles.Render(StepCaLayout.Container, OptionsFor(ca), material.WithoutRootKey(), keyPassword, ca.ClusterUrl);

    /// <summary>
    /// Namespace, ConfigMaps (config, certificates), Secrets (intermediate key; with a password, the password in a
    /// Secret of its own), PVC (database), Service and Deployment. The root key is never rendered; the intermediate
    /// key only into its Secret.
    /// </summary>
    /// <param name="ca">The CA.</param>
    /// <param name="material">Its CA material; the root key, if present, is ignored.</param>
    /// <param name="keyPassword">Encrypts the intermediate key in its Secret when given; rendered into <c>{service}-password</c>.</param>
    public static IReadOnlyList<IKubernetesObject> Render(StepCaResource ca, CaMaterial material, string? keyPassword = null)
    {
        ArgumentNullException.ThrowIfNull(ca);
        ArgumentNullException.ThrowIfNull(material);
        var files = FilesFor(ca, material, keyPassword);
        var ns = ca.Namespace;
        var labels = Labels(ca);
        string Name(string suffix) => $"{ca.ServiceName}-{suffix}";
        Dictionary<string, string> Text(string folder) => files.Files
            .Where(f => !f.IsSecret && f.RelativePath.StartsWith(folder + "/", StringComparison.Ordinal))
            .ToDictionary(f => f.RelativePath[(folder.Length + 1)..], f => f.Content);

        var config = new V1ConfigMap { ApiVersion = "v1", Kind = "ConfigMap", Metadata = Meta(Name("config"), ns, labels), Data = Text("config") };
        var certs = new V1ConfigMap { ApiVersion = "v1", Kind = "ConfigMap", Metadata = Meta(Name("certs"), ns, labels), Data = Text("certs") };
        V1Secret Secret(string name, Func<StepCaFile, bool> which) => new()
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = Meta(name, ns, labels),
            Type = "Opaque",
            Data = files.Files.Where(f => f.IsSecret && which(f)).ToDictionary(f => f.RelativePath["secrets/".Length..], f => Encoding.UTF8.GetBytes(f.Content)),
        };

        // The password gets its own Secret: the encrypted key is only worth something apart from it, and RBAC can
        // grant one Secret without the other (resourceNames).
        var secret = Secret(Name("secrets"), f => f.RelativePath != StepCaLayout.PasswordFile);
        var passwordSecret = files.PasswordProtected ? Secret(Name("password"), f => f.RelativePath == StepCaLayout.PasswordFile) : null;
        var pvc = new V1PersistentVolumeClaim
        {
            ApiVersion = "v1",
            Kind = "PersistentVolumeClaim",
            Metadata = Meta(Name("db"), ns, labels),
            Spec = new V1PersistentVolumeClaimSpec
            {
                AccessModes = ["ReadWriteOnce"],
                StorageClassName = ca.StorageClassName,
                Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(ca.PersistenceSize) } },
            },
        };
        var selector = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "step-ca", ["app.kubernetes.io/instance"] = ca.Name };
        var service = new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = Meta(ca.ServiceName, ns, labels),
            Spec = new V1ServiceSpec
            {
                Type = "ClusterIP",
                Selector = selector,
                Ports = [new V1ServicePort { Name = HttpsPortName, Port = ca.Port, TargetPort = HttpsPortName, Protocol = "TCP" }],
            },
        };

        // A change to any file changes this annotation, so the pod rolls and step-ca rereads its config. An encrypted
        // key differs on every render (random salt and IV), so the checksum reads the key it decrypts to instead:
        // rendering the same model twice must not roll the pod.
        var checksumFiles = files.Files.Select(f => files.PasswordProtected && f.RelativePath == StepCaLayout.IntermediateKeyFile ? f with { Content = material.IntermediateKeyPem } : f);
        var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\0", checksumFiles.Select(f => f.RelativePath + "\0" + f.Content)))));
        var probe = new V1HTTPGetAction { Path = "/health", Port = HttpsPortName, Scheme = "HTTPS" };
        var deployment = new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = Meta(ca.ServiceName, ns, labels),
            Spec = new V1DeploymentSpec
            {
                Replicas = 1,
                // Badger locks its directory: a second pod on the same volume could not start, so never overlap.
                Strategy = new V1DeploymentStrategy { Type = "Recreate" },
                Selector = new V1LabelSelector { MatchLabels = selector },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta
                    {
                        Labels = new Dictionary<string, string>(labels),
                        Annotations = new Dictionary<string, string> { ["localtls.io/config-checksum"] = checksum },
                    },
                    Spec = new V1PodSpec
                    {
                        AutomountServiceAccountToken = false,
                        SecurityContext = new V1PodSecurityContext
                        {
                            RunAsNonRoot = true,
                            RunAsUser = StepUserId,
                            RunAsGroup = StepUserId,
                            FsGroup = StepUserId,
                            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
                        },
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "step-ca",
                                Image = $"{ca.Image}:{ca.ImageTag}",
                                ImagePullPolicy = "IfNotPresent",
                                Command = ["step-ca"],
                                Args = [.. files.Arguments()],
                                Ports = [new V1ContainerPort { Name = HttpsPortName, ContainerPort = ca.Port, Protocol = "TCP" }],
                                ReadinessProbe = new V1Probe { HttpGet = probe, InitialDelaySeconds = 2, PeriodSeconds = 5 },
                                LivenessProbe = new V1Probe { HttpGet = probe, InitialDelaySeconds = 10, PeriodSeconds = 20 },
                                Resources = new V1ResourceRequirements
                                {
                                    Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("50m"), ["memory"] = new("64Mi") },
                                    Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("512Mi") },
                                },
                                SecurityContext = new V1SecurityContext
                                {
                                    AllowPrivilegeEscalation = false,
                                    ReadOnlyRootFilesystem = true,
                                    RunAsNonRoot = true,
                                    Capabilities = new V1Capabilities { Drop = ["ALL"] },
                                },
                                VolumeMounts =
                                [
                                    new V1VolumeMount { Name = "config", MountPath = files.Layout.ConfigDirectory, ReadOnlyProperty = true },
                                    new V1VolumeMount { Name = "certs", MountPath = files.Layout.CertsDirectory, ReadOnlyProperty = true },
                                    new V1VolumeMount { Name = "secrets", MountPath = files.Layout.SecretsDirectory, ReadOnlyProperty = true },
                                    new V1VolumeMount { Name = "db", MountPath = files.Layout.DbDirectory },
                                    new V1VolumeMount { Name = "tmp", MountPath = "/tmp" },
                                ],
                            },
                        ],
                        Volumes =
                        [
                            new V1Volume { Name = "config", ConfigMap = new V1ConfigMapVolumeSource { Name = config.Metadata.Name } },
                            new V1Volume { Name = "certs", ConfigMap = new V1ConfigMapVolumeSource { Name = certs.Metadata.Name } },
                            SecretsVolume(secret, passwordSecret),
                            new V1Volume { Name = "db", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = pvc.Metadata.Name } },
                            new V1Volume { Name = "tmp", EmptyDir = new V1EmptyDirVolumeSource() },
                        ],
                    },
                },
            },
        };
        var @namespace = new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = ns, Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = ManagedBy } } };
        return passwordSecret is null
            ? [@namespace, config, certs, secret, pvc, service, deployment]
            : [@namespace, config, certs, secret, passwordSecret, pvc, service, deployment];
    }

    /// <summary>
    /// The <c>secrets</c> folder: the key's Secret, and with a password both Secrets projected into the one folder,
    /// so step-ca finds the password where its <c>--password-file</c> says (<see cref="StepCaLayout.PasswordPath"/>).
    /// </summary>
    private static V1Volume SecretsVolume(V1Secret key, V1Secret? password)
    {
        const int OwnerReadOnly = 0x100; // 0400
        return password is null
            ? new V1Volume { Name = "secrets", Secret = new V1SecretVolumeSource { SecretName = key.Metadata.Name, DefaultMode = OwnerReadOnly } }
            : new V1Volume
            {
                Name = "secrets",
                Projected = new V1ProjectedVolumeSource
                {
                    DefaultMode = OwnerReadOnly,
                    Sources =
                    [
                        new V1VolumeProjection { Secret = new V1SecretProjection { Name = key.Metadata.Name } },
                        new V1VolumeProjection { Secret = new V1SecretProjection { Name = password.Metadata.Name } },
                    ],
                },
            };
    }

    internal static Dictionary<string, string> Labels(StepCaResource ca) => new()
    {
        ["app.kubernetes.io/name"] = "step-ca",
        ["app.kubernetes.io/instance"] = ca.Name,
        ["app.kubernetes.io/component"] = "certificate-authority",
        ["app.kubernetes.io/managed-by"] = ManagedBy,
    };

    private static V1ObjectMeta Meta(string name, string ns, IDictionary<string, string> labels) =>
        new() { Name = name, NamespaceProperty = ns, Labels = new Dictionary<string, string>(labels) };
}
