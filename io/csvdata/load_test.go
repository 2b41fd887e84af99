package csvdata

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestBuiltin(t *testing.T) {
	// Sizes from scikit-learn's load_* functions (DESCR of each dataset).
	tests := []struct {
		name      string
		rows      int
		features  int
		task      Task
		classes   []string
		firstRow0 float64 // first feature of the first row
		counts    []int   // rows per class
	}{
		{"iris", 150, 4, Classify, []string{"setosa", "versicolor", "virginica"}, 5.1, []int{50, 50, 50}},
		{"wine", 178, 13, Classify, []string{"0", "1", "2"}, 14.23, []int{59, 71, 48}},
		{"breast-cancer", 569, 30, Classify, []string{"0", "1"}, 17.99, []int{212, 357}},
		{"diabetes", 442, 10, Regress, nil, 59, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table, err := LoadBuiltin(tt.name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if table.Len() != tt.rows || len(table.FeatureNames) != tt.features || table.Task != tt.task {
				t.Errorf("got %d x %d %v, want %d x %d %v", table.Len(), len(table.FeatureNames), table.Task, tt.rows, tt.features, tt.task)
			}
			if table.TargetName != "target" || table.X[0] != tt.firstRow0 {
				t.Errorf("target %q, first value %v", table.TargetName, table.X[0])
			}
			if !slices.Equal(table.ClassNames, tt.classes) {
				t.Errorf("classes %q, want %q", table.ClassNames, tt.classes)
			}
			if tt.counts != nil && !slices.Equal(classCounts(table), tt.counts) {
				t.Errorf("class counts %v, want %v", classCounts(table), tt.counts)
			}
			if tt.task == Regress && (len(table.Y) != tt.rows || table.Y[0] != 151) {
				t.Errorf("regression targets: %d, first %v", len(table.Y), table.Y[0])
			}
		})
	}
	t.Run("unknown name", func(t *testing.T) {
		_, err := Builtin("mnist")
		if err == nil || !strings.Contains(err.Error(), "breast-cancer, diabetes, iris, wine") {
			t.Errorf("error %v does not list the names", err)
		}
	})
}

func classCounts(t *Table) []int {
	counts := make([]int, len(t.ClassNames))
	for _, l := range t.Labels {
		counts[l]++
	}
	return counts
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		csv     string
		opts    Options
		want    error
		line    int
		column  int
		colName string
	}{
		{"empty file", "", Options{}, ErrEmpty, 1, 0, ""},
		{"header only", "a,b\n", Options{}, ErrEmpty, 2, 0, ""},
		{"one column", "a\n1\n", Options{}, ErrEmpty, 1, 0, ""},
		{"duplicate header", "a,b,a\n1,2,3\n", Options{}, ErrDuplicateHeader, 1, 3, "a"},
		{"empty header name", "a,,c\n1,2,3\n", Options{}, ErrMissingValue, 1, 2, ""},
		{"unknown target", "a,b\n1,2\n", Options{Target: "y"}, ErrUnknownTarget, 1, 0, ""},
		{"short row", "a,b,y\n1,2,0\n3,4\n", Options{}, ErrRaggedRow, 3, 3, "y"},
		{"long row", "a,b,y\n1,2,0,9\n", Options{}, ErrRaggedRow, 2, 4, ""},
		{"empty cell", "a,b,y\n1,2,0\n1,,0\n", Options{}, ErrMissingValue, 3, 2, "b"},
		{"NA cell", "a,b,y\n1,2,0\n\n1,2,0\nNA,2,1\n", Options{}, ErrMissingValue, 5, 1, "a"},
		{"nan cell", "a,b,y\n1,nan,0\n", Options{}, ErrMissingValue, 2, 2, "b"},
		{"missing target", "a,b,y\n1,2,\n", Options{}, ErrMissingValue, 2, 3, "y"},
		{"non-numeric feature", "a,b,y\n1,2,0\n1,two,0\n", Options{}, ErrNotNumeric, 3, 2, "b"},
		{"infinite feature", "a,b,y\n1,Inf,0\n", Options{}, ErrNotNumeric, 2, 2, "b"},
		{"non-numeric regression target", "y,a\n1.5,1\nhigh,2\n", Options{Target: "y", Task: Regress}, ErrNotNumeric, 3, 1, "y"},
		{"quoted multi-line cell shifts lines", "a,y\n\"1\n\",0\n2,x\n3,\n", Options{}, ErrMissingValue, 5, 2, "y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tt.csv), "t.csv", tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if pe.Line != tt.line || pe.Column != tt.column || pe.Name != tt.colName {
				t.Errorf("error at line %d column %d %q, want line %d column %d %q (%v)",
					pe.Line, pe.Column, pe.Name, tt.line, tt.column, tt.colName, err)
			}
			if !strings.HasPrefix(err.Error(), "csvdata: t.csv line ") {
				t.Errorf("error %q does not start with the package, file and line", err)
			}
		})
	}
	t.Run("unknown target lists columns", func(t *testing.T) {
		_, err := Load(strings.NewReader("a,b\n1,2\n"), "", Options{Target: "y"})
		if err == nil || !strings.Contains(err.Error(), `"y"`) || !strings.Contains(err.Error(), `["a" "b"]`) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("csv syntax", func(t *testing.T) {
		_, err := Load(strings.NewReader("a,y\n1,\"0\n"), "", Options{})
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != 2 {
			t.Errorf("error %v, want a ParseError at line 2", err)
		}
	})
	t.Run("bad task", func(t *testing.T) {
		if _, err := Load(strings.NewReader("a,y\n1,0\n"), "", Options{Task: 7}); err == nil {
			t.Error("task 7 accepted")
		}
	})
}

func TestLoadTargets(t *testing.T) {
	tests := []struct {
		name    string
		csv     string
		opts    Options
		task    Task
		classes []string
		labels  []int
		y       []float64
	}{
		{"strings sort as strings", "x,y\n1,b\n2,a\n3,c\n4,a\n", Options{}, Classify, []string{"a", "b", "c"}, []int{1, 0, 2, 0}, nil},
		{"integers sort as numbers", "x,y\n1,10\n2,9\n3,-1\n", Options{}, Classify, []string{"-1", "9", "10"}, []int{2, 1, 0}, nil},
		{"floats are regression", "x,y\n1,0.5\n2,1.25\n", Options{}, Regress, nil, nil, []float64{0.5, 1.25}},
		{"forced regression of integers", "x,y\n1,1\n2,0\n", Options{Task: Regress}, Regress, nil, nil, []float64{1, 0}},
		{"forced classes of floats", "x,y\n1,0.5\n2,0.25\n", Options{Task: Classify}, Classify, []string{"0.25", "0.5"}, []int{1, 0}, nil},
		{"target not last, BOM and spaces", "\ufeff y , x\n a ,1\n b , 2 \n", Options{Target: "y"}, Classify, []string{"a", "b"}, []int{0, 1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table, err := Load(strings.NewReader(tt.csv), "", tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if table.Task != tt.task || !slices.Equal(table.ClassNames, tt.classes) ||
				!slices.Equal(table.Labels, tt.labels) || !slices.Equal(table.Y, tt.y) {
				t.Errorf("got %v %q %v %v", table.Task, table.ClassNames, table.Labels, table.Y)
			}
			if !slices.Equal(table.FeatureNames, []string{"x"}) || table.Len() != len(table.X) {
				t.Errorf("features %q, X %v", table.FeatureNames, table.X)
			}
		})
	}
	t.Run("many integers are regression", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("x,y\n")
		for i := 0; i <= MaxAutoClasses; i++ {
			b.WriteString("1,")
			b.WriteString(strings.Repeat("1", i+1))
			b.WriteString("\n")
		}
		table, err := Load(strings.NewReader(b.String()), "", Options{})
		if err != nil || table.Task != Regress {
			t.Errorf("got %v, %v; want regression", table, err)
		}
	})
}

func TestParseTask(t *testing.T) {
	for _, task := range []Task{Auto, Classify, Regress} {
		got, err := ParseTask(task.String())
		if err != nil || got != task {
			t.Errorf("ParseTask(%q) = %v, %v", task, got, err)
		}
	}
	if _, err := ParseTask("cluster"); err == nil {
		t.Error("ParseTask accepted cluster")
	}
}
