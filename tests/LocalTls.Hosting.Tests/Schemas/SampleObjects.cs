using k8s.Models;

namespace LocalTls.Tests.Schemas;

/// <summary>Valid objects of the kinds LocalTls renders, built with KubernetesClient types the way production code does.</summary>
internal static class SampleObjects
{
    public static V1Namespace Namespace() => new()
    {
        ApiVersion = V1Namespace.KubeApiVersion,
        Kind = V1Namespace.KubeKind,
        Metadata = new V1ObjectMeta { Name = "step-ca", Labels = new Dictionary<string, string> { ["app.kubernetes.io/part-of"] = "localtls" } },
    };

    public static V1Secret Secret() => new()
    {
        ApiVersion = V1Secret.KubeApiVersion,
        Kind = V1Secret.KubeKind,
        Metadata = new V1ObjectMeta
        {
            Name = "step-ca-root",
            NamespaceProperty = "step-ca",
            Annotations = new Dictionary<string, string> { ["localtls.dev/fingerprint"] = "sha256:abc" },
        },
        Type = "kubernetes.io/tls",
        Data = new Dictionary<string, byte[]> { ["tls.crt"] = "-----BEGIN CERTIFICATE-----"u8.ToArray(), ["tls.key"] = [1, 2, 3] },
        StringData = new Dictionary<string, string> { ["password"] = "hunter2" },
    };

    public static V1ConfigMap ConfigMap() => new()
    {
        ApiVersion = V1ConfigMap.KubeApiVersion,
        Kind = V1ConfigMap.KubeKind,
        Metadata = new V1ObjectMeta { Name = "step-ca-config", NamespaceProperty = "step-ca" },
        Data = new Dictionary<string, string> { ["ca.json"] = "{}" },
        BinaryData = new Dictionary<string, byte[]> { ["root.der"] = [0x30, 0x82] },
    };

    public static V1Service Service() => new()
    {
        ApiVersion = V1Service.KubeApiVersion,
        Kind = V1Service.KubeKind,
        Metadata = new V1ObjectMeta { Name = "step-ca", NamespaceProperty = "step-ca" },
        Spec = new V1ServiceSpec
        {
            Type = "ClusterIP",
            Selector = new Dictionary<string, string> { ["app"] = "step-ca" },
            Ports =
            [
                new V1ServicePort { Name = "https", Port = 9000, TargetPort = 9000, Protocol = "TCP" },
                new V1ServicePort { Name = "named", Port = 443, TargetPort = "https" },
            ],
        },
    };

    public static V1Deployment Deployment() => new()
    {
        ApiVersion = $"{V1Deployment.KubeGroup}/{V1Deployment.KubeApiVersion}", // KubeApiVersion alone is "v1": it lacks the group
        Kind = V1Deployment.KubeKind,
        Metadata = new V1ObjectMeta { Name = "step-ca", NamespaceProperty = "step-ca" },
        Spec = new V1DeploymentSpec
        {
            Replicas = 1,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "step-ca" } },
            Strategy = new V1DeploymentStrategy { Type = "Recreate" },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "step-ca" } },
                Spec = new V1PodSpec
                {
                    SecurityContext = new V1PodSecurityContext { RunAsUser = 1000, RunAsNonRoot = true, FsGroup = 1000 },
                    Containers =
                    [
                        new V1Container
                        {
                            Name = "step-ca",
                            Image = "cr.smallstep.com/smallstep/step-ca:0.30.0",
                            Args = ["/home/step/config/ca.json"],
                            Ports = [new V1ContainerPort { Name = "https", ContainerPort = 9000, Protocol = "TCP" }],
                            Env = [new V1EnvVar { Name = "STEPPATH", Value = "/home/step" }],
                            Resources = new V1ResourceRequirements
                            {
                                Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("128Mi") },
                            },
                            ReadinessProbe = new V1Probe
                            {
                                HttpGet = new V1HTTPGetAction { Path = "/health", Port = "https", Scheme = "HTTPS" },
                                PeriodSeconds = 5,
                            },
                            VolumeMounts = [new V1VolumeMount { Name = "db", MountPath = "/home/step/db" }],
                        },
                    ],
                    Volumes = [new V1Volume { Name = "db", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "step-ca-db" } }],
                },
            },
        },
    };

    public static V1PersistentVolumeClaim PersistentVolumeClaim() => new()
    {
        ApiVersion = V1PersistentVolumeClaim.KubeApiVersion,
        Kind = V1PersistentVolumeClaim.KubeKind,
        Metadata = new V1ObjectMeta { Name = "step-ca-db", NamespaceProperty = "step-ca" },
        Spec = new V1PersistentVolumeClaimSpec
        {
            AccessModes = ["ReadWriteOnce"],
            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") } },
            StorageClassName = "standard",
        },
    };

    public static V1Ingress Ingress() => new()
    {
        ApiVersion = $"{V1Ingress.KubeGroup}/{V1Ingress.KubeApiVersion}",
        Kind = V1Ingress.KubeKind,
        Metadata = new V1ObjectMeta
        {
            Name = "web",
            NamespaceProperty = "default",
            Annotations = new Dictionary<string, string> { ["cert-manager.io/cluster-issuer"] = "step-ca-acme" },
        },
        Spec = new V1IngressSpec
        {
            IngressClassName = "nginx",
            Tls = [new V1IngressTLS { Hosts = ["web.127-0-0-1.sslip.io"], SecretName = "web-tls" }],
            Rules =
            [
                new V1IngressRule
                {
                    Host = "web.127-0-0-1.sslip.io",
                    Http = new V1HTTPIngressRuleValue
                    {
                        Paths =
                        [
                            new V1HTTPIngressPath
                            {
                                Path = "/",
                                PathType = "Prefix",
                                Backend = new V1IngressBackend { Service = new V1IngressServiceBackend { Name = "web", Port = new V1ServiceBackendPort { Number = 8080 } } },
                            },
                        ],
                    },
                },
            ],
        },
    };

    public static object ByKind(string kind) => kind switch
    {
        "Namespace" => Namespace(),
        "Secret" => Secret(),
        "ConfigMap" => ConfigMap(),
        "Service" => Service(),
        "Deployment" => Deployment(),
        "PersistentVolumeClaim" => PersistentVolumeClaim(),
        "Ingress" => Ingress(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
