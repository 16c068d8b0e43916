package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/config"
)

func load(env map[string]string) (config.Config, error) {
	return config.Load(nil, nil, func(k string) string { return env[k] })
}

func TestIdentitySettings(t *testing.T) {
	c, err := load(nil)
	if err != nil || c.MinAge != 16 || c.CityUserApproval != 8760*time.Hour || c.CensusTimeout != 5*time.Second || c.CensusURL != "" {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("segreto\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = load(map[string]string{
		"ARENGO_MIN_AGE": "14", "ARENGO_CITY_USER_APPROVAL": "720h", "ARENGO_CENSUS_URL": "https://anagrafe.example.it/residenti",
		"ARENGO_CENSUS_TOKEN_FILE": tokenFile, "ARENGO_CENSUS_TIMEOUT": "2s",
		"ARENGO_ELECTORS_URL": "https://anagrafe.example.it/elettori", "ARENGO_ELECTORS_TOKEN": "t2",
	})
	if err != nil || c.MinAge != 14 || c.CityUserApproval != 720*time.Hour || c.CensusToken != "segreto" || c.CensusTimeout != 2*time.Second ||
		c.ElectorsURL != "https://anagrafe.example.it/elettori" || c.ElectorsToken != "t2" {
		t.Fatalf("set: %+v %v", c, err)
	}
	for k, v := range map[string]string{
		"ARENGO_MIN_AGE": "sedici", "ARENGO_CITY_USER_APPROVAL": "un anno", "ARENGO_CENSUS_TIMEOUT": "-1s",
		"ARENGO_CENSUS_URL": "ftp://anagrafe", "ARENGO_ELECTORS_URL": "anagrafe.example.it",
	} {
		if _, err := load(map[string]string{k: v}); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
	for _, v := range []string{"0", "121", "-3"} {
		if _, err := load(map[string]string{"ARENGO_MIN_AGE": v}); err == nil {
			t.Errorf("ARENGO_MIN_AGE=%s accepted", v)
		}
	}
}

func TestDemoOrgName(t *testing.T) {
	c, err := load(map[string]string{"ARENGO_DEMO": "true"})
	if err != nil || c.OrgName != config.DemoOrgName {
		t.Fatalf("demo without a name: %q %v", c.OrgName, err)
	}
	c, err = load(map[string]string{"ARENGO_DEMO": "true", "ARENGO_ORG_NAME": "Comune di Bergamo"})
	if err != nil || c.OrgName != "Comune di Bergamo" {
		t.Fatalf("demo with a name: %q %v", c.OrgName, err)
	}
	if c, _ := load(nil); c.OrgName != "Comune di Esempio" {
		t.Fatalf("default: %q", c.OrgName)
	}
	for name, env := range map[string]map[string]string{
		"bad bool":     {"ARENGO_DEMO": "maybe"},
		"bad duration": {"ARENGO_SESSION_IDLE": "soon"},
		"bad integer":  {"ARENGO_MAX_BODY_BYTES": "-3"},
		"idle > max":   {"ARENGO_SESSION_IDLE": "24h", "ARENGO_SESSION_MAX": "1h"},
		"bad level":    {"ARENGO_LOG_LEVEL": "loud"},
	} {
		if _, err := load(env); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
